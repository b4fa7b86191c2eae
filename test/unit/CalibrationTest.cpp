//===- CalibrationTest.cpp - Calibration table JSON -----------------------===//

#include "dlp/Quant/Calibration.h"

#include "gtest/gtest.h"

using namespace dlp;
using namespace dlp::quant;

TEST(Calibration, JSONRoundTrip) {
  Calibrator cal;
  std::vector<float> data = {0.5f, -1.0f, 3.0f, -0.25f}; // N=1, C=2, 2 each
  eval::Tensor t = eval::Tensor::view({1, 2, 2}, data.data());
  cal.observe("conv0", "nn.conv", t);
  cal.addSamples(1);
  CalibrationTable table = cal.table();
  EXPECT_EQ(table.fracBits("conv0"), (std::vector<int>{7, 5}));
  llvm::Expected<CalibrationTable> back =
      CalibrationTable::fromJSON(table.toJSON());
  ASSERT_TRUE(static_cast<bool>(back)) << llvm::toString(back.takeError());
  EXPECT_EQ(back->samples, 1);
  EXPECT_EQ(back->tensors.at("conv0").range, (std::vector<double>{1.0, 3.0}));
  EXPECT_EQ(back->tensors.at("conv0").op, "nn.conv");
  EXPECT_EQ(back->tensors.at("conv0").shape, (std::vector<int64_t>{1, 2, 2}));
  EXPECT_TRUE(back->fracBits("missing").empty());
}

TEST(Calibration, ShapeCountsEverySample) {
  // Batches of 1 and 3 samples: the recorded batch dimension is 4, the
  // ranges the maximum over both.
  Calibrator cal;
  std::vector<float> one = {0.5f, -1.0f};
  std::vector<float> three = {0.25f, 2.0f, -0.5f, 0.0f, 1.0f, -0.125f};
  cal.observe("x", "arg", eval::Tensor::view({1, 2}, one.data()));
  cal.observe("x", "arg", eval::Tensor::view({3, 2}, three.data()));
  CalibrationTable table = cal.table();
  EXPECT_EQ(table.tensors.at("x").shape, (std::vector<int64_t>{4, 2}));
  EXPECT_EQ(table.tensors.at("x").range, (std::vector<double>{1.0, 2.0}));
}

static std::string errorOf(llvm::StringRef text) {
  llvm::Expected<CalibrationTable> t = CalibrationTable::fromJSON(text);
  if (t)
    return "";
  return llvm::toString(t.takeError());
}

TEST(Calibration, JSONErrorsNameTheProblem) {
  EXPECT_NE(errorOf("{").find("not JSON"), std::string::npos);
  EXPECT_NE(errorOf("{\"format\": \"x\"}").find("dlp-calibration"),
            std::string::npos);
  EXPECT_NE(errorOf("{\"format\": \"dlp-calibration\", \"version\": 2}")
                .find("unsupported version"),
            std::string::npos);
  EXPECT_NE(errorOf("{\"format\": \"dlp-calibration\", \"version\": 1}")
                .find("missing \"tensors\""),
            std::string::npos);
  EXPECT_NE(errorOf("{\"format\": \"dlp-calibration\", \"version\": 1, "
                    "\"tensors\": [{\"name\": \"a\"}]}")
                .find("tensor #0 needs"),
            std::string::npos);
  EXPECT_NE(errorOf("{\"format\": \"dlp-calibration\", \"version\": 1, "
                    "\"tensors\": [{\"name\": \"a\", \"range\": [1, -2]}]}")
                .find("tensor 'a': range[1] must be a finite number >= 0"),
            std::string::npos);
  llvm::Expected<CalibrationTable> missing =
      CalibrationTable::readFile("/nonexistent/c.json");
  ASSERT_FALSE(static_cast<bool>(missing));
  EXPECT_NE(llvm::toString(missing.takeError()).find("cannot open"),
            std::string::npos);
}
