//===- DlpRunTest.cpp - dlp-run end to end: outputs, dumps, errors --------===//

#include "ProgramBuilder.h"

#include "dlprt/Npy.h"
#include "dlprt/Runtime.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/Path.h"

#include "gtest/gtest.h"

#include <cstdlib>
#include <fstream>
#include <sstream>

using namespace dlprt;
using namespace dlprt::test;

namespace {

class DlpRun : public ::testing::Test {
protected:
  void SetUp() override {
    llvm::SmallString<128> prefix, d;
    llvm::sys::path::system_temp_directory(/*ErasedOnReboot=*/true, prefix);
    llvm::sys::path::append(prefix, "dlp-run-test");
    ASSERT_FALSE(llvm::sys::fs::createUniqueDirectory(prefix, d));
    dir = std::string(d);
    model = dir + "/m.dlpb";
    std::vector<uint8_t> b = writeBinary(everyOpcodeProgram());
    std::ofstream(model, std::ios::binary)
        .write(reinterpret_cast<const char *>(b.data()), b.size());
    input.resize(3 * 256);
    for (size_t i = 0; i < input.size(); ++i)
      input[i] = float(int(i % 23) - 11) / 8.0f;
    std::string err;
    ASSERT_TRUE(writeNpy(dir + "/x.npy", {3, 16, 4, 4}, input.data(), err));
  }
  void TearDown() override { llvm::sys::fs::remove_directories(dir); }

  /// Runs dlp-run with `args`; returns the exit status, stderr in `err`.
  int run(const std::string &args, std::string &err) {
    std::string cmd = std::string(DLPRT_DLP_RUN) + " " + args + " 2>" + dir +
                      "/err.txt >" + dir + "/out.txt";
    int rc = std::system(cmd.c_str());
    std::ifstream f(dir + "/err.txt");
    std::stringstream ss;
    ss << f.rdbuf();
    err = ss.str();
    return rc;
  }

  std::string dir, model;
  std::vector<float> input;
};

TEST_F(DlpRun, OutputsAndDumps) {
  std::string err;
  ASSERT_EQ(run(model + " --input " + dir + "/x.npy --output " + dir +
                    "/o0.npy --output " + dir + "/o1.npy --num-threads 2 " +
                    "--dump-dir " + dir + "/dump --time",
                err),
            0)
      << err;
  EXPECT_NE(err.find("ms/image"), std::string::npos) << err;
  auto s = Session::loadBytes(writeBinary(everyOpcodeProgram()));
  ASSERT_TRUE(bool(s));
  std::vector<float> o0(3 * 256), o1(3 * 128);
  const float *ins[] = {input.data()};
  float *outs[] = {o0.data(), o1.data()};
  ASSERT_FALSE(bool((*s)->run(3, ins, outs, 1)));
  NpyArray a;
  ASSERT_TRUE(readNpy(dir + "/o0.npy", a, err)) << err;
  EXPECT_EQ(a.shape, (std::vector<int64_t>{3, 16, 4, 4}));
  EXPECT_EQ(a.data, o0);
  ASSERT_TRUE(readNpy(dir + "/o1.npy", a, err)) << err;
  EXPECT_EQ(a.data, o1);
  for (const char *name : {"x", "y", "h", "cat"}) {
    ASSERT_TRUE(readNpy(dir + "/dump/" + name + ".npy", a, err)) << err;
    EXPECT_EQ(a.shape[0], 1) << name;
  }
  ASSERT_TRUE(readNpy(dir + "/dump/cat.npy", a, err));
  EXPECT_TRUE(std::equal(a.data.begin(), a.data.end(), o0.begin() + 2 * 256));
  EXPECT_EQ(dumpFileName("conv1/out:0 x"), "conv1_out_0_x");
}

TEST_F(DlpRun, ErrorsNameTheFileAndProblem) {
  std::string err;
  EXPECT_NE(run(dir + "/none.dlpb --input " + dir + "/x.npy", err), 0);
  EXPECT_NE(err.find(dir + "/none.dlpb: cannot read"), std::string::npos)
      << err;
  EXPECT_NE(run(std::string(DLPRT_CONFIG_DIR) + "/small.json --input x", err),
            0);
  EXPECT_NE(err.find("small.json: header: bad magic"), std::string::npos)
      << err;
  EXPECT_NE(run(model + " --input " + dir + "/x.npy --target " +
                    DLPRT_CONFIG_DIR + "/small.json",
                err),
            0);
  EXPECT_NE(err.find("not for the given target 'small'"), std::string::npos)
      << err;
  EXPECT_NE(run(model, err), 0);
  EXPECT_NE(err.find("the model has 1 inputs, 0 --input given"),
            std::string::npos)
      << err;
  std::string e2;
  ASSERT_TRUE(writeNpy(dir + "/bad.npy", {2, 8, 4, 4}, input.data(), e2));
  EXPECT_NE(run(model + " --input " + dir + "/bad.npy", err), 0);
  EXPECT_NE(err.find("bad.npy: shape 2x8x4x4 does not match input 'x' "
                     "(1x16x4x4 with any batch >= 1)"),
            std::string::npos)
      << err;
  EXPECT_NE(run(model + " --input " + dir + "/missing.npy", err), 0);
  EXPECT_NE(err.find("missing.npy"), std::string::npos) << err;
}

/// The text of a file ("" if it cannot be read).
std::string slurp(const std::string &path) {
  std::ifstream f(path);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

TEST_F(DlpRun, ProfileTraceAndTimingOnly) {
  std::string err;
  // With the functional run: outputs as usual, then the profile.
  ASSERT_EQ(run(model + " --input " + dir + "/x.npy --profile --trace " + dir +
                    "/t.json --profile-json " + dir + "/p.json",
                err),
            0)
      << err;
  std::string out = slurp(dir + "/out.txt");
  EXPECT_NE(out.find("cat: 3x16x4x4"), std::string::npos) << out;
  EXPECT_NE(out.find("profile (cycle model, target tiny, 8x8 array"),
            std::string::npos)
      << out;
  EXPECT_NE(out.find("2 host segment(s), host time not included"),
            std::string::npos)
      << out;
  auto trace = llvm::json::parse(slurp(dir + "/t.json"));
  ASSERT_TRUE(bool(trace)) << llvm::toString(trace.takeError());
  EXPECT_TRUE(trace->getAsObject()->getArray("traceEvents"));
  auto prof = llvm::json::parse(slurp(dir + "/p.json"));
  ASSERT_TRUE(bool(prof)) << llvm::toString(prof.takeError());
  std::optional<int64_t> total =
      prof->getAsObject()->getInteger("total_cycles");
  ASSERT_TRUE(total);
  EXPECT_GT(*total, 0);
  // Timing only: no input, the same profile, no outputs.
  ASSERT_EQ(run(model + " --timing-only --profile --time", err), 0) << err;
  std::string timed = slurp(dir + "/out.txt");
  EXPECT_EQ(timed.find("cat:"), std::string::npos) << timed;
  EXPECT_EQ(timed, out.substr(out.find("profile (")));
  EXPECT_NE(err.find("cycle model"), std::string::npos) << err;
}

TEST_F(DlpRun, TimingOptionErrorsAreNamed) {
  std::string err;
  EXPECT_NE(run(model + " --timing-only", err), 0);
  EXPECT_NE(err.find("dlp-run: error: --timing-only needs --profile, "
                     "--profile-json or --trace"),
            std::string::npos)
      << err;
  EXPECT_NE(
      run(model + " --timing-only --profile --input " + dir + "/x.npy", err),
      0);
  EXPECT_NE(err.find("--timing-only runs no input: --input, --output, "
                     "--dump-dir and --repeat do not apply"),
            std::string::npos)
      << err;
  EXPECT_NE(
      run(model + " --timing-only --trace " + dir + "/no/such/t.json", err), 0);
  EXPECT_NE(
      err.find("m.dlpb: --trace: cannot write '" + dir + "/no/such/t.json': "),
      std::string::npos)
      << err;
  EXPECT_NE(run(model + " --timing-only --profile-json " + dir, err), 0);
  EXPECT_NE(err.find("--profile-json: cannot write '" + dir + "': "),
            std::string::npos)
      << err;
}

} // namespace
