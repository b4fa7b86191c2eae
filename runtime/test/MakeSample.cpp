//===- MakeSample.cpp - A sample .dlpb for the C API test -----------------===//

#include "ProgramBuilder.h"

#include <cstdio>

extern "C" int dlprt_test_write_sample(const char *path) {
  std::vector<uint8_t> b =
      dlprt::writeBinary(dlprt::test::everyOpcodeProgram());
  FILE *f = std::fopen(path, "wb");
  if (!f)
    return -1;
  size_t n = std::fwrite(b.data(), 1, b.size(), f);
  return std::fclose(f) == 0 && n == b.size() ? 0 : -1;
}
