// The fused fast kernels of DenseNet against the generic Eigen path: forward, input and
// parameter VJP, input and parameter JVP on the tape the fast forward wrote; a point's
// bits independent of the batch it is in (n = 1..67); gradients against central finite
// differences; parameters changed in place between calls.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include "udeflow/core/rng.hpp"
#include "udeflow/nn/dense_net.hpp"

using namespace udeflow;
using namespace udeflow::nn;

namespace {

Matrix RandomMatrix(int r, int c, uint64_t seed) {
  Matrix m(r, c);
  for (int j = 0; j < c; ++j)
    for (int i = 0; i < r; ++i) m(i, j) = 2 * Philox::Uniform(seed, i, j) - 1;
  return m;
}

struct Arch {
  std::vector<int> widths;
  Activation hidden, output;
  std::string Name() const {
    std::string s;
    for (int w : widths) s += std::to_string(w) + "-";
    return s + ActivationName(hidden) + "/" + ActivationName(output);
  }
};

// Hidden widths are multiples of 8, so the fast path applies with SSE2, AVX2 and AVX-512;
// narrow (1, 3) and packet-wide (8) output layers take the two output-layer kernels.
std::vector<Arch> Architectures() {
  return {{{5, 32, 32, 1}, Activation::kTanh, Activation::kIdentity},
          {{8, 64, 64, 5}, Activation::kRelu, Activation::kIdentity},
          {{3, 16, 8, 3}, Activation::kTanh, Activation::kTanh},
          {{6, 8, 8, 8}, Activation::kIdentity, Activation::kRelu},
          {{2, 24, 1}, Activation::kTanh, Activation::kIdentity}};
}

// Parameters with non-zero biases (ReLU kinks away from the sample points).
std::vector<double> Params(const DenseNet& net, uint64_t seed) {
  std::vector<double> p(net.NumParams());
  net.Initialize(seed, 1.0, p.data());
  for (int i = 0; i < net.NumParams(); ++i) p[i] += 0.1 * (2 * Philox::Uniform(seed, i, 7) - 1);
  return p;
}

double RelDiff(const Matrix& a, const Matrix& b) {
  return (a - b).lpNorm<Eigen::Infinity>() / (1.0 + b.lpNorm<Eigen::Infinity>());
}

TEST(DenseKernels, FastPathMatchesGenericPath) {
  for (const Arch& a : Architectures()) {
    DenseNet fast(a.widths, a.hidden, a.output), slow = fast;
    slow.SetFastKernels(false);
    ASSERT_TRUE(fast.FastKernels()) << a.Name();
    ASSERT_FALSE(slow.FastKernels()) << a.Name();
    const std::vector<double> p = Params(fast, 3);
    const int nin = a.widths.front(), nout = a.widths.back(), P = fast.NumParams();
    for (const int n : {1, 5, 48, 100}) {
      const std::string where = a.Name() + " n=" + std::to_string(n);
      const Matrix x = RandomMatrix(nin, n, 1), ybar = RandomMatrix(nout, n, 2);
      const Matrix xdot = RandomMatrix(nin, n, 4);
      const Vector tdot = RandomMatrix(P, 1, 5);
      DenseNet::Tape tf, ts;
      fast.Forward(p.data(), x, tf);
      slow.Forward(p.data(), x, ts);
      EXPECT_LT(RelDiff(tf.Output(), ts.Output()), 1e-14) << "forward, " << where;
      Matrix xbf, xbs;
      std::vector<double> gf(P, 0.5), gs(P, 0.5);
      fast.Vjp(p.data(), tf, ybar, gf.data(), &xbf);
      slow.Vjp(p.data(), ts, ybar, gs.data(), &xbs);
      EXPECT_LT(RelDiff(xbf, xbs), 1e-14) << "input VJP, " << where;
      const Eigen::Map<const Vector> mgf(gf.data(), P), mgs(gs.data(), P);
      EXPECT_LT(RelDiff(mgf, mgs), 1e-14) << "parameter VJP, " << where;
      Matrix ydf, yds;
      fast.Jvp(p.data(), tf, xdot, &ydf);
      slow.Jvp(p.data(), ts, xdot, &yds);
      EXPECT_LT(RelDiff(ydf, yds), 1e-14) << "input JVP, " << where;
      fast.ParamJvp(p.data(), tf, tdot.data(), &ydf);
      slow.ParamJvp(p.data(), ts, tdot.data(), &yds);
      EXPECT_LT(RelDiff(ydf, yds), 1e-14) << "parameter JVP, " << where;
    }
  }
}

// A point's output and input cotangent are the same bits whatever the batch size and
// whatever its position in the cache blocks and register blocks of the kernels.
TEST(DenseKernels, PointResultsDoNotDependOnTheBatch) {
  for (const Arch& a : Architectures()) {
    DenseNet net(a.widths, a.hidden, a.output);
    ASSERT_TRUE(net.FastKernels());
    const std::vector<double> p = Params(net, 5);
    const int nin = a.widths.front(), nout = a.widths.back(), nmax = 67;
    const Matrix x = RandomMatrix(nin, nmax, 8), ybar = RandomMatrix(nout, nmax, 9);
    DenseNet::Tape ref;
    net.Forward(p.data(), x, ref);
    Matrix xbar_ref;
    net.Vjp(p.data(), ref, ybar, nullptr, &xbar_ref);
    for (int n = 1; n < nmax; ++n) {
      // The last n points: each sits at a different offset than in the full batch.
      const Matrix xs = x.rightCols(n), ys = ybar.rightCols(n);
      DenseNet::Tape t;
      net.Forward(p.data(), xs, t);
      Matrix xbar;
      net.Vjp(p.data(), t, ys, nullptr, &xbar);
      const Matrix yref = ref.Output().rightCols(n), xbref = xbar_ref.rightCols(n);
      EXPECT_EQ(0, std::memcmp(t.Output().data(), yref.data(), sizeof(double) * yref.size()))
          << "forward, " << a.Name() << " n=" << n;
      EXPECT_EQ(0, std::memcmp(xbar.data(), xbref.data(), sizeof(double) * xbref.size()))
          << "input VJP, " << a.Name() << " n=" << n;
    }
  }
}

// The fast parameter and input VJP against central differences of the fast forward.
TEST(DenseKernels, VjpMatchesFiniteDifferences) {
  DenseNet net({5, 32, 32, 1}, Activation::kTanh);
  ASSERT_TRUE(net.FastKernels());
  std::vector<double> p = Params(net, 11);
  const int n = 50, P = net.NumParams();
  const Matrix x = RandomMatrix(5, n, 12), ybar = RandomMatrix(1, n, 13);
  DenseNet::Tape t;
  auto loss = [&](const std::vector<double>& q, const Matrix& xx) {
    net.Forward(q.data(), xx, t);
    return (t.Output().array() * ybar.array()).sum();
  };
  loss(p, x);
  std::vector<double> g(P, 0.0);
  Matrix xbar;
  net.Vjp(p.data(), t, ybar, g.data(), &xbar);
  const double h = 1e-6;
  for (int i = 0; i < P; i += 7) {
    std::vector<double> pp = p, pm = p;
    pp[i] += h, pm[i] -= h;
    const double fd = (loss(pp, x) - loss(pm, x)) / (2 * h);
    EXPECT_NEAR(g[i], fd, 1e-6 * (1 + std::abs(fd))) << "parameter " << i;
  }
  for (int j = 0; j < n; j += 9)
    for (int r = 0; r < 5; ++r) {
      Matrix xp = x, xm = x;
      xp(r, j) += h, xm(r, j) -= h;
      const double fd = (loss(p, xp) - loss(p, xm)) / (2 * h);
      EXPECT_NEAR(xbar(r, j), fd, 1e-6 * (1 + std::abs(fd))) << "input " << r << ", point " << j;
    }
}

// The kernels keep no copy of the parameters: a change in place is seen by the next call;
// and they allocate nothing once the tape is sized.
TEST(DenseKernels, ParametersChangedInPlaceAreSeen) {
  DenseNet fast({4, 16, 16, 2}, Activation::kTanh), slow = fast;
  slow.SetFastKernels(false);
  std::vector<double> p = Params(fast, 21);
  const Matrix x = RandomMatrix(4, 30, 22), ybar = RandomMatrix(2, 30, 23);
  DenseNet::Tape tf, ts;
  std::vector<const double*> first;
  for (int round = 0; round < 3; ++round) {
    fast.Forward(p.data(), x, tf);
    slow.Forward(p.data(), x, ts);
    EXPECT_LT(RelDiff(tf.Output(), ts.Output()), 1e-14) << "round " << round;
    const Eigen::Index packed_after_forward = tf.packed.size();
    std::vector<double> gf(fast.NumParams(), 0.0), gs(fast.NumParams(), 0.0);
    fast.Vjp(p.data(), tf, ybar, gf.data());
    slow.Vjp(p.data(), ts, ybar, gs.data());
    const Eigen::Map<const Vector> mgf(gf.data(), fast.NumParams()),
        mgs(gs.data(), fast.NumParams());
    EXPECT_LT(RelDiff(mgf, mgs), 1e-14) << "round " << round;
    for (double& v : p) v *= 1.1;  // every weight and bias changes in place
    // Allocation-free once sized: alternating forward and VJP calls keep every buffer at
    // its size (Eigen reallocates only on a change of size) and address.
    EXPECT_EQ(tf.packed.size(), packed_after_forward) << "round " << round;
    const std::vector<const double*> buffers = {tf.packed.data(),   tf.block[0].data(),
                                                tf.block[1].data(), tf.act[1].data(),
                                                tf.act[2].data(),   tf.grad.data()};
    if (round == 0) first = buffers;
    EXPECT_EQ(buffers, first) << "round " << round;
  }
}

}  // namespace

// The fast kernels' tanh against std::tanh over the whole range, saturation included: the
// hidden layer of a 1-8-8 network with weights 1 and biases 0 is tanh of the input.
TEST(DenseKernels, TanhIsAccurateOverTheWholeRange) {
  DenseNet net({1, 8, 8}, Activation::kTanh);
  ASSERT_TRUE(net.FastKernels());
  std::vector<double> p(net.NumParams(), 0.0);
  for (int i = 0; i < 8; ++i) p[i] = 1.0;  // W_0 (8 x 1)
  const int n = 20001;
  Matrix x(1, n);
  for (int j = 0; j < n; ++j) x(0, j) = -40.0 + 80.0 * j / (n - 1);
  DenseNet::Tape t;
  net.Forward(p.data(), x, t);
  double worst = 0;
  for (int j = 0; j < n; ++j) {
    const double ref = std::tanh(x(0, j));
    worst = std::max(worst, std::abs(t.act[1](3, j) - ref));
    ASSERT_LE(std::abs(t.act[1](3, j)), 1.0) << x(0, j);
  }
  EXPECT_LT(worst, 4e-16);
  EXPECT_EQ(t.act[1](0, 0), -1.0);
  EXPECT_EQ(t.act[1](0, n - 1), 1.0);
}
