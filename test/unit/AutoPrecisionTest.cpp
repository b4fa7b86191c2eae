//===- AutoPrecisionTest.cpp - The precision=auto search ------------------===//
//
// dlp::quant::searchPrecision against a made-up model whose agreement and
// output error are known functions of the int8 set: the ranking by error
// removed per MAC, the greedy additions, dropping layers a later one made
// unnecessary, a target out of reach, and the MAC fraction reported.
//
//===----------------------------------------------------------------------===//

#include "dlp/Quant/AutoPrecision.h"

#include "gtest/gtest.h"

#include <map>

using namespace dlp::quant;

namespace {

/// Each int8 layer removes a fixed share of the output error and adds a
/// fixed agreement.
struct FakeModel {
  std::map<std::string, std::pair<double, double>> effect; // error, agreement
  double baseError = 1.0, baseAgreement = 90.0;
  int calls = 0;
  PrecisionMeasure operator()(const std::set<std::string> &int8) {
    ++calls;
    PrecisionMeasure m{baseAgreement, baseError};
    for (const std::string &l : int8) {
      m.error -= effect.at(l).first;
      m.agreement += effect.at(l).second;
    }
    return m;
  }
};

TEST(AutoPrecision, FewestMacsByErrorPerMac) {
  // "big" removes the most error but costs 100x the MACs of "first";
  // "first" + "last" reach the target together.
  std::vector<LayerMacs> layers = {
      {"first", 10}, {"big", 1000}, {"mid", 500}, {"last", 1}};
  FakeModel m;
  m.effect = {{"first", {0.3, 5}},
              {"big", {0.5, 9}},
              {"mid", {0.05, 1}},
              {"last", {0.02, 4}}};
  AutoPrecisionResult r = searchPrecision(
      layers, 98.5, [&](const std::set<std::string> &s) { return m(s); });
  EXPECT_TRUE(r.reached);
  EXPECT_EQ(r.int8, (std::set<std::string>{"first", "last"}));
  EXPECT_DOUBLE_EQ(r.agreement, 99.0);
  EXPECT_EQ(r.totalMacs, 1511);
  EXPECT_EQ(r.pow2Macs, 1500);
  EXPECT_EQ(r.runs, m.calls);
}

TEST(AutoPrecision, AlreadyAgreeingModelStaysPow2) {
  std::vector<LayerMacs> layers = {{"a", 5}, {"b", 7}};
  FakeModel m;
  m.effect = {{"a", {0.1, 1}}, {"b", {0.1, 1}}};
  m.baseAgreement = 99.0;
  AutoPrecisionResult r = searchPrecision(
      layers, 98.5, [&](const std::set<std::string> &s) { return m(s); });
  EXPECT_TRUE(r.int8.empty());
  EXPECT_EQ(r.runs, 1);
  EXPECT_DOUBLE_EQ(r.pow2Fraction(), 1.0);
}

TEST(AutoPrecision, LaterLayerMakesEarlierOneUnnecessary) {
  // "cheap" ranks first but cannot reach the target alone; "key" can, and
  // then "cheap" goes back to pow2-4.
  std::vector<LayerMacs> layers = {{"cheap", 1}, {"key", 100}};
  FakeModel m;
  m.effect = {{"cheap", {0.1, 1}}, {"key", {0.5, 9}}};
  AutoPrecisionResult r = searchPrecision(
      layers, 98.5, [&](const std::set<std::string> &s) { return m(s); });
  EXPECT_TRUE(r.reached);
  EXPECT_EQ(r.int8, (std::set<std::string>{"key"}));
  EXPECT_DOUBLE_EQ(r.agreement, 99.0);
}

TEST(AutoPrecision, UnreachableTargetAndUselessLayers) {
  // A layer that makes things worse is never kept; the target is missed
  // and said so.
  std::vector<LayerMacs> layers = {{"good", 10}, {"bad", 10}};
  FakeModel m;
  m.effect = {{"good", {0.2, 2}}, {"bad", {-0.1, -1}}};
  AutoPrecisionResult r = searchPrecision(
      layers, 99.9, [&](const std::set<std::string> &s) { return m(s); });
  EXPECT_FALSE(r.reached);
  EXPECT_EQ(r.int8, (std::set<std::string>{"good"}));
  EXPECT_DOUBLE_EQ(r.pow2Fraction(), 0.5);
}

TEST(AutoPrecision, AgreementAndError) {
  std::vector<float> a = {1, 3, 2, 5, 0, 0}, b = {0, 4, 1, 0, 1, 9};
  EXPECT_DOUBLE_EQ(top1Agreement(a.data(), b.data(), 2, 3), 50.0);
  // Ties: the first maximum.
  std::vector<float> t = {2, 2, 0}, u = {1, 0, 0};
  EXPECT_DOUBLE_EQ(top1Agreement(t.data(), u.data(), 1, 3), 100.0);
  std::vector<float> x = {1, 2}, y = {1, 1};
  EXPECT_DOUBLE_EQ(outputError(x.data(), y.data(), 2), 0.5);
}

} // namespace
