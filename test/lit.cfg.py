# -*- Python -*-
import os
import lit.formats
from lit.llvm import llvm_config

config.name = "DLP"
config.test_format = lit.formats.ShTest(not llvm_config.use_lit_shell)
config.suffixes = [".mlir", ".test"]
config.excludes = ["Inputs", "lit-tools", "onnx-node", "models", "unit",
                   "CMakeLists.txt", "lit.cfg.py", "lit.site.cfg.py"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.dlp_obj_root, "test")

llvm_config.use_default_substitutions()
llvm_config.with_environment("PATH", config.dlp_tools_dir, append_path=True)
llvm_config.with_environment("PATH", config.llvm_tools_dir, append_path=True)
llvm_config.add_tool_substitutions(
    ["dlp-opt", "dlp-translate", "dlp-eval", "dlpc", "dlp-run"], [config.dlp_tools_dir])
config.substitutions.append(("%python", config.python))
config.substitutions.append(
    ("%make_onnx",
     config.python + " " + os.path.join(config.test_source_root, "lit-tools",
                                        "make_onnx.py")))
repo_root = os.path.dirname(config.test_source_root)
config.substitutions.append(("%configs", os.path.join(repo_root, "hw", "configs")))
config.substitutions.append(
    ("%dlp_check",
     config.python + " " + os.path.join(config.test_source_root, "lit-tools",
                                        "dlp_check.py")))
config.substitutions.append(
    ("%models", os.path.join(repo_root, "python", "models")))
# Fashion-MNIST samples from the Debian package (python/dlp_kit).
config.substitutions.append(
    ("%fmnist",
     "env PYTHONPATH=" + os.path.join(repo_root, "python") + " " +
     config.python + " -m dlp_kit.fashion_mnist"))
# dlp-run --backend=rtl exists when the build Verilated dlp_core
# (hw/backend/CMakeLists.txt).
if os.path.exists(os.path.join(config.dlp_obj_root, "hw", "backend", "vcore",
                               "Vdlp_core__ALL.a")):
    config.available_features.add("dlp-rtl")
