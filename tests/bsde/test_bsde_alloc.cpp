// The training hot loop allocates nothing once its buffers are sized: malloc/calloc/
// realloc are counted (this test binary interposes them) around iterations of the pure
// kernels (noise, forward SDE, network, backward scheme, loss, gradient, Y_0 curvature)
// for both networks, both schemes, every equation and every skip connection.  The Adam
// step of nn::Adam is counted apart: it allocates the std::string of its udeflow::Require
// message (core/error.hpp takes const std::string&) once per call, and nothing else.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>

#include "bsde_test_util.hpp"
#include "udeflow/bsde/model.hpp"
#include "udeflow/nn/adam.hpp"

extern "C" {
void* __libc_malloc(size_t);
void* __libc_calloc(size_t, size_t);
void* __libc_realloc(void*, size_t);
}

namespace {
std::atomic<long> g_allocations{0};
std::atomic<bool> g_counting{false};
}  // namespace

extern "C" void* malloc(size_t n) {
  if (g_counting.load(std::memory_order_relaxed)) ++g_allocations;
  return __libc_malloc(n);
}
extern "C" void* calloc(size_t a, size_t b) {
  if (g_counting.load(std::memory_order_relaxed)) ++g_allocations;
  return __libc_calloc(a, b);
}
extern "C" void* realloc(void* p, size_t n) {
  if (g_counting.load(std::memory_order_relaxed)) ++g_allocations;
  return __libc_realloc(p, n);
}

using namespace udeflow::bsde;
using udeflow::nn::DenseNet;

namespace {

TEST(BsdeHotLoop, NoAllocationPerIteration) {
  struct Config {
    const char* eq;
    ZNetConfig::Kind kind;
    DenseNet::Skip skip;
    BackwardScheme scheme;
    bool feature;
  };
  for (const Config& c : {Config{"hjb", ZNetConfig::Kind::kShared, DenseNet::Skip::kDiagonal,
                                 BackwardScheme::kTrapezoid, false},
                          Config{"allencahn", ZNetConfig::Kind::kShared, DenseNet::Skip::kGated,
                                 BackwardScheme::kTrapezoid, true},
                          Config{"bsb", ZNetConfig::Kind::kShared, DenseNet::Skip::kGatedQuadratic,
                                 BackwardScheme::kEuler, false},
                          Config{"defaultrisk", ZNetConfig::Kind::kSubnets,
                                 DenseNet::Skip::kQuadratic, BackwardScheme::kTrapezoid, true},
                          Config{"hjb", ZNetConfig::Kind::kSubnets, DenseNet::Skip::kFull,
                                 BackwardScheme::kEuler, false}}) {
    const int d = 7, N = 5, B = 9;
    auto eq = udeflow::bsde::test::MakeEquation(c.eq, d);
    ZNetConfig nc;
    nc.kind = c.kind;
    nc.width = 6;
    nc.skip = c.skip;
    nc.norm_feature = c.feature;
    nc.zscale = 0.3;
    BsdeModel model(*eq, CreateZNetwork(nc, d, N, eq->Horizon()), N, SdeScheme::kExact, c.scheme);
    model.InitializeNetwork(1);
    model.SetLossClip(0.5);
    model.SetControl(std::string(c.eq) !=
                     "hjb");  // controlled paths: shared and subnets, both schemes
    BsdeBatch batch;
    batch.Resize(d, N, B);
    Vector grad = Vector::Zero(model.NumParams());
    udeflow::nn::Adam adam(model.NumParams() - 1);
    double curvature = 0;
    long kernel_allocations = 0, adam_allocations = 0;
    auto iteration = [&](uint64_t it) {
      grad.setZero();
      curvature = 0;
      g_allocations = 0;
      g_counting = true;
      model.Simulate(3, it, 5, batch);
      model.Loss(batch, 1.0 / B, grad.data(), &curvature);
      g_counting = false;
      kernel_allocations += g_allocations.load();
      g_allocations = 0;
      g_counting = true;
      adam.Step(model.Params().tail(model.NumParams() - 1), grad.segment(1, model.NumParams() - 1),
                1e-3);
      g_counting = false;
      adam_allocations += g_allocations.load();
    };
    iteration(0);  // sizes every buffer
    kernel_allocations = adam_allocations = 0;
    for (uint64_t it = 1; it <= 3; ++it) iteration(it);
    EXPECT_EQ(kernel_allocations, 0)
        << c.eq << " " << ZNetKindName(c.kind) << " skip " << DenseNet::SkipName(c.skip)
        << (model.Controlled() ? " controlled" : "");
    EXPECT_LE(adam_allocations, 3) << "nn::Adam::Step: at most its Require message string per call";
  }
}

}  // namespace
