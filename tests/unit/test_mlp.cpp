// Unit tests of the pure-Eigen MLP and Adam: dot-product tests of every VJP/JVP,
// finite differences, determinism, and Adam convergence.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>

#include "udeflow/core/aligned.hpp"
#include "udeflow/core/rng.hpp"
#include "udeflow/nn/adam.hpp"
#include "udeflow/nn/dense_net.hpp"
#include "udeflow/nn/mlp.hpp"
#include "udeflow/pde/closure.hpp"

using namespace udeflow;
using namespace udeflow::nn;

namespace {

Matrix RandomMatrix(int r, int c, uint64_t seed) {
  Matrix m(r, c);
  for (int j = 0; j < c; ++j)
    for (int i = 0; i < r; ++i) m(i, j) = 2 * Philox::Uniform(seed, i, j) - 1;
  return m;
}

class MlpActivations : public ::testing::TestWithParam<Activation> {};

TEST_P(MlpActivations, DotProductTestsAndFiniteDifferences) {
  const Activation act = GetParam();
  Mlp net({3, 7, 5, 2}, act, Activation::kIdentity);
  net.Initialize(42, 1.0);
  // Make biases non-zero so that ReLU kinks are away from the sample points.
  for (int i = 0; i < net.NumParams(); ++i)
    net.Params()[i] += 0.05 * (2 * Philox::Uniform(9, i, 0) - 1);
  const int n = 11;
  Matrix x = RandomMatrix(3, n, 1);
  Mlp::Tape tape;
  net.Forward(x, tape);
  Matrix y = tape.Output();
  ASSERT_EQ(y.rows(), 2);
  ASSERT_EQ(y.cols(), n);

  Matrix xdot = RandomMatrix(3, n, 2), ybar = RandomMatrix(2, n, 3);
  Matrix ydot, xbar;
  Vector g = Vector::Zero(net.NumParams());
  net.Jvp(tape, xdot, &ydot);
  net.Vjp(tape, ybar, &xbar, g.data());
  // Dot-product test: <ybar, J xdot> == <J^T ybar, xdot>.
  const double lhs = (ybar.array() * ydot.array()).sum();
  const double rhs = (xbar.array() * xdot.array()).sum();
  EXPECT_NEAR(lhs, rhs, 1e-13 * (std::abs(lhs) + 1));

  // Parameter direction: <ybar, dY/dtheta thetadot> == <g, thetadot>.
  Vector thetadot(net.NumParams());
  for (int i = 0; i < net.NumParams(); ++i) thetadot[i] = 2 * Philox::Uniform(4, i, 0) - 1;
  Matrix ypdot;
  net.ParamJvp(tape, thetadot, &ypdot);
  const double plhs = (ybar.array() * ypdot.array()).sum();
  EXPECT_NEAR(plhs, g.dot(thetadot), 1e-13 * (std::abs(plhs) + 1));

  // Central finite differences of the forward map in both directions.
  const double h = 1e-6;
  Mlp::Tape tp, tm;
  net.Forward(x + h * xdot, tp);
  net.Forward(x - h * xdot, tm);
  Matrix fd = (tp.Output() - tm.Output()) / (2 * h);
  EXPECT_LT((fd - ydot).norm(), 1e-7 * (ydot.norm() + 1));
  Vector p0 = net.Params();
  net.SetParams(p0 + h * thetadot);
  net.Forward(x, tp);
  net.SetParams(p0 - h * thetadot);
  net.Forward(x, tm);
  net.SetParams(p0);
  Matrix fdp = (tp.Output() - tm.Output()) / (2 * h);
  EXPECT_LT((fdp - ypdot).norm(), 1e-7 * (ypdot.norm() + 1));
}

INSTANTIATE_TEST_SUITE_P(All, MlpActivations,
                         ::testing::Values(Activation::kTanh, Activation::kRelu,
                                           Activation::kSoftplus, Activation::kSigmoid,
                                           Activation::kIdentity));

TEST(Mlp, KnownValues) {
  // 1-2-1 network with hand-set parameters: y = w2 . tanh(w1 x + b1) + b2.
  Mlp net({1, 2, 1}, Activation::kTanh);
  ASSERT_EQ(net.NumParams(), 2 + 2 + 2 + 1);
  Vector p(7);
  p << 0.5, -1.0, 0.1, 0.2, 2.0, 3.0, -0.5;  // W1 (2x1), b1, W2 (1x2), b2
  net.SetParams(p);
  Matrix x(1, 1);
  x << 0.3;
  Mlp::Tape t;
  net.Forward(x, t);
  const double expect = 2.0 * std::tanh(0.5 * 0.3 + 0.1) + 3.0 * std::tanh(-0.3 + 0.2) - 0.5;
  EXPECT_NEAR(t.Output()(0, 0), expect, 1e-15);
}

TEST(Mlp, FastTanhMatchesStdTanh) {
  Mlp net({1, 1}, Activation::kIdentity, Activation::kTanh);
  Vector p(2);
  p << 1.0, 0.0;
  net.SetParams(p);
  Matrix x(1, 2001);
  for (int i = 0; i < 2001; ++i) x(0, i) = -40.0 + 0.04 * i;
  x(0, 1000) = 1e-12;
  Mlp::Tape t;
  net.Forward(x, t);
  double worst = 0;
  for (int i = 0; i < 2001; ++i)
    worst = std::max(worst, std::abs(t.Output()(0, i) - std::tanh(x(0, i))));
  EXPECT_LT(worst, 4e-16);
  Matrix big(1, 2);
  big << -1e4, 1e4;
  net.Forward(big, t);
  EXPECT_EQ(t.Output()(0, 0), -1.0);
  EXPECT_EQ(t.Output()(0, 1), 1.0);
}

TEST(Mlp, SoftplusIsStableForLargeInputs) {
  Mlp net({1, 1}, Activation::kIdentity, Activation::kSoftplus);
  Vector p(2);
  p << 1.0, 0.0;
  net.SetParams(p);
  Matrix x(1, 3);
  x << -800.0, 0.0, 800.0;
  Mlp::Tape t;
  net.Forward(x, t);
  EXPECT_NEAR(t.Output()(0, 0), 0.0, 1e-300);
  EXPECT_NEAR(t.Output()(0, 1), std::log(2.0), 1e-15);
  EXPECT_NEAR(t.Output()(0, 2), 800.0, 1e-12);
}

TEST(Mlp, InitializationIsDeterministicAndScaled) {
  Mlp a({5, 32, 32, 1}, Activation::kTanh), b({5, 32, 32, 1}, Activation::kTanh);
  a.Initialize(7, 1.0);
  b.Initialize(7, 1.0);
  EXPECT_EQ((a.Params() - b.Params()).norm(), 0.0);
  b.Initialize(7, 1e-3);
  EXPECT_NEAR((b.Params() - 1e-3 * a.Params()).norm(), 0.0, 1e-15);
  b.Initialize(8, 1.0);
  EXPECT_GT((a.Params() - b.Params()).norm(), 1.0);
  EXPECT_EQ(a.NumParams(), 5 * 32 + 32 + 32 * 32 + 32 + 32 + 1);
  // Glorot bound for the first layer.
  const double limit = std::sqrt(6.0 / 37.0);
  EXPECT_LE(a.Params().head(160).cwiseAbs().maxCoeff(), limit);
  EXPECT_GT(a.Params().head(160).cwiseAbs().maxCoeff(), 0.8 * limit);
}

// The input JVP of the kernel with every skip connection: ybar . J xdot = (J^T ybar) . xdot.
TEST(DenseNet, InputJvpMatchesVjpWithEverySkip) {
  for (auto skip :
       {DenseNet::Skip::kNone, DenseNet::Skip::kDiagonal, DenseNet::Skip::kQuadratic,
        DenseNet::Skip::kGated, DenseNet::Skip::kGatedQuadratic, DenseNet::Skip::kFull}) {
    DenseNet net({5, 8, 7, 4}, Activation::kTanh, Activation::kIdentity, skip, 1);
    std::vector<double> p(net.NumParams());
    for (int i = 0; i < net.NumParams(); ++i) p[i] = Philox::Uniform(1, i, 0) - 0.5;
    const int B = 6;
    const Matrix x = RandomMatrix(5, B, 2), ybar = RandomMatrix(4, B, 3),
                 xdot = RandomMatrix(5, B, 5);
    DenseNet::Tape t;
    net.Forward(p.data(), x, t);
    Matrix ydot, xbar;
    net.Jvp(p.data(), t, xdot, &ydot);
    net.Vjp(p.data(), t, ybar, nullptr, &xbar);
    const double lhs = (ybar.array() * ydot.array()).sum(),
                 rhs = (xbar.array() * xdot.array()).sum();
    EXPECT_NEAR(lhs, rhs, 1e-12 * (1 + std::abs(lhs))) << DenseNet::SkipName(skip);
    // and against central differences of the forward map
    const double h = 1e-6;
    DenseNet::Tape tp, tm;
    net.Forward(p.data(), x + h * xdot, tp);
    net.Forward(p.data(), x - h * xdot, tm);
    EXPECT_LT(((tp.Output() - tm.Output()) / (2 * h) - ydot).norm(), 1e-7)
        << DenseNet::SkipName(skip);
  }
}

// Both ways of adding the parameter gradient give the same numbers.
TEST(DenseNet, StagedAndInPlaceGradientsAgree) {
  DenseNet net({3, 6, 2}, Activation::kSoftplus, Activation::kSigmoid);
  std::vector<double> p(net.NumParams());
  net.Initialize(3, 1.0, p.data());
  const Matrix x = RandomMatrix(3, 9, 4), ybar = RandomMatrix(2, 9, 5);
  DenseNet::Tape t;
  net.Forward(p.data(), x, t);
  std::vector<double> g1(net.NumParams(), 1.0), g2(net.NumParams(), 1.0);
  net.Vjp(p.data(), t, ybar, g1.data(), nullptr, DenseNet::Accumulate::kStaged);
  net.Vjp(p.data(), t, ybar, g2.data(), nullptr, DenseNet::Accumulate::kInPlace);
  for (int i = 0; i < net.NumParams(); ++i)
    EXPECT_NEAR(g1[i], g2[i], 1e-14 * (1 + std::abs(g1[i])));
}

// A closure owns no parameters: it reads the theta it is bound to, so a change of theta in
// place is seen by the next evaluation, without a copy and without binding again.
TEST(Closure, ReadsBoundParametersInPlace) {
  for (const char* type : {"mlp", "stencil"}) {
    auto closure = udeflow::pde::ClosureRegistry().Create(type);
    udeflow::pde::ClosureConfig config;
    config.type = type;
    config.hidden = {5};
    closure->Configure(config, 3, 1);
    const int P = closure->NumParams();
    AlignedVector<double> theta(P);
    closure->Initialize(theta.data());
    closure->Bind(theta.data());
    EXPECT_EQ(closure->Params(), theta.data()) << type;
    const Matrix x = RandomMatrix(3, 4, 6);
    udeflow::pde::Closure::Tape tape;
    closure->Forward(x, tape);
    const Matrix y0 = tape.Output();
    // theta[P-1]: the stencil's scale s / the MLP's output bias: y changes by 2 y or by 1.
    theta[P - 1] += 1.0;
    closure->Forward(x, tape);
    const Matrix expected =
        std::string(type) == "stencil" ? Matrix(2 * y0) : Matrix(y0.array() + 1.0);
    EXPECT_LT((tape.Output() - expected).norm(), 1e-14 * (1 + y0.norm())) << type;
    // The owned convenience network computes the same bits with the same parameters.
    if (std::string(type) == "mlp") {
      Mlp mlp({3, 5, 1}, Activation::kTanh);
      mlp.SetParams(Eigen::Map<const Vector>(theta.data(), P));
      Mlp::Tape t2;
      mlp.Forward(x, t2);
      EXPECT_EQ(0,
                std::memcmp(t2.Output().data(), tape.Output().data(), sizeof(double) * x.cols()));
    }
    closure->Bind(nullptr);
    EXPECT_THROW(closure->Forward(x, tape), udeflow::Error) << type;
  }
}

TEST(Adam, MinimizesAnIllConditionedQuadratic) {
  // f(x) = 1/2 sum_i a_i (x_i - c_i)^2 with a spread of curvatures.
  const int n = 10;
  Vector a(n), c(n), x = Vector::Zero(n);
  for (int i = 0; i < n; ++i) {
    a[i] = std::pow(10.0, i / 3.0);
    c[i] = std::sin(i + 1.0);
  }
  Adam opt(n);
  LearningRateSchedule lr;
  lr.kind = LearningRateSchedule::Kind::kExponential;
  lr.lr = 0.05;
  lr.factor = 0.01;
  lr.period = 3000;
  for (int it = 0; it < 3000; ++it) {
    Vector g = a.cwiseProduct(x - c);
    opt.Step(x, g, lr.At(it));
  }
  EXPECT_LT((x - c).norm(), 1e-4);
  EXPECT_EQ(opt.StepCount(), 3000);
}

TEST(Adam, FirstStepHasLearningRateMagnitude) {
  // With bias correction the first step is lr * sign(g) (up to epsilon).
  Vector x = Vector::Zero(3), g(3);
  g << 10.0, -0.001, 3.0;
  Adam opt(3);
  opt.Step(x, g, 0.1);
  EXPECT_NEAR(x[0], -0.1, 1e-8);
  EXPECT_NEAR(x[1], 0.1, 1e-4);
  EXPECT_NEAR(x[2], -0.1, 1e-8);
}

TEST(LearningRateSchedule, StepAndCosine) {
  LearningRateSchedule s;
  s.kind = LearningRateSchedule::Kind::kStep;
  s.lr = 1.0;
  s.factor = 0.1;
  s.milestones = {10, 20};
  EXPECT_DOUBLE_EQ(s.At(0), 1.0);
  EXPECT_DOUBLE_EQ(s.At(10), 0.1);
  EXPECT_NEAR(s.At(25), 0.01, 1e-15);
  s.kind = LearningRateSchedule::Kind::kCosine;
  s.period = 100;
  s.lr_min = 0.0;
  EXPECT_NEAR(s.At(50), 0.5, 1e-15);
  EXPECT_NEAR(s.At(100), 0.0, 1e-15);
}

TEST(Philox, UniformMomentsAndNormalMoments) {
  double s1 = 0, s2 = 0, n1 = 0, n2 = 0, n4 = 0;
  const int N = 200000;
  for (int i = 0; i < N; ++i) {
    double u = Philox::Uniform(3, i, 0);
    ASSERT_GT(u, 0.0);
    ASSERT_LT(u, 1.0);
    s1 += u;
    s2 += u * u;
    double z0, z1;
    Philox::Normal2(5, i, 1, &z0, &z1);
    n1 += z0 + z1;
    n2 += z0 * z0 + z1 * z1;
    n4 += z0 * z0 * z0 * z0 + z1 * z1 * z1 * z1;
  }
  EXPECT_NEAR(s1 / N, 0.5, 3e-3);
  EXPECT_NEAR(s2 / N, 1.0 / 3.0, 3e-3);
  EXPECT_NEAR(n1 / (2 * N), 0.0, 1e-2);
  EXPECT_NEAR(n2 / (2 * N), 1.0, 1e-2);
  EXPECT_NEAR(n4 / (2 * N), 3.0, 5e-2);
}

}  // namespace

// Run-to-run reproducibility: a kernel's bits must not depend on where the caller's buffers
// sit in memory (a heap address varies with address randomisation and the environment).
// Every entry point that reads or writes caller memory is run with that memory at each of
// the 8 double offsets of a 64-byte line and compared bit for bit with offset 0.  Before the
// fix, the parameter VJP (lazy products into the caller's gradient) and Adam (packet sqrt
// over the caller's parameters) failed this.
TEST(Determinism, KernelsDoNotDependOnBufferAlignment) {
  for (const Activation act : {Activation::kTanh, Activation::kRelu, Activation::kSigmoid}) {
    for (const std::vector<int>& widths :
         {std::vector<int>{2, 5, 5, 2}, std::vector<int>{1, 10, 20, 10, 1},
          std::vector<int>{8, 64, 64, 5}}) {
      Mlp net(widths, act, Activation::kIdentity);
      net.Initialize(7, 1.0);
      const int P = net.NumParams(), nin = widths.front(), nout = widths.back();
      for (const int n : {1, 3, 13, 26, 64}) {
        std::vector<double> ref_g, ref_xbar, ref_y, ref_theta;
        for (int off = 0; off < 8; ++off) {
          // Caller-owned buffers at offset `off` doubles from a 64-byte boundary.
          std::vector<double, Eigen::aligned_allocator<double>> xbuf(nin * n + 8), gbuf(P + 8),
              ybuf(nout * n + 8), tbuf(P + 8), mbuf(P + 8);
          Eigen::Map<Matrix> x(xbuf.data() + off, nin, n), ybar(ybuf.data() + off, nout, n);
          x = RandomMatrix(nin, n, 11);
          ybar = RandomMatrix(nout, n, 12);
          double* g = gbuf.data() + off;
          for (int i = 0; i < P; ++i) g[i] = 0.25 * i;  // Vjp accumulates into it
          Mlp::Tape tape;
          net.Forward(x, tape);
          Matrix xbar;
          net.Vjp(tape, ybar, &xbar, g);
          std::vector<double> gv(g, g + P), xb(xbar.data(), xbar.data() + xbar.size()),
              yv(tape.Output().data(), tape.Output().data() + tape.Output().size());
          // Adam on caller memory (clipping on: it takes a norm of the caller's gradient).
          double* theta = tbuf.data() + off;
          for (int i = 0; i < P; ++i) theta[i] = net.Params()[i];
          Adam adam(P, AdamConfig{0.9, 0.999, 1e-8, 0.5, 1e-4});
          for (int step = 0; step < 3; ++step)
            adam.Step(Eigen::Map<Vector>(theta, P), Eigen::Map<const Vector>(g, P), 1e-2);
          std::vector<double> tv(theta, theta + P);
          if (off == 0) {
            ref_g = gv, ref_xbar = xb, ref_y = yv, ref_theta = tv;
            continue;
          }
          const std::string where = std::string(ActivationName(act)) + " widths " +
                                    std::to_string(widths[1]) + " batch " + std::to_string(n) +
                                    " offset " + std::to_string(off);
          EXPECT_EQ(0, std::memcmp(yv.data(), ref_y.data(), sizeof(double) * yv.size()))
              << "forward, " << where;
          EXPECT_EQ(0, std::memcmp(gv.data(), ref_g.data(), sizeof(double) * P))
              << "parameter VJP, " << where;
          EXPECT_EQ(0, std::memcmp(xb.data(), ref_xbar.data(), sizeof(double) * xb.size()))
              << "input VJP, " << where;
          EXPECT_EQ(0, std::memcmp(tv.data(), ref_theta.data(), sizeof(double) * P))
              << "Adam, " << where;
        }
      }
    }
  }
}
