// Unit tests of the pure BSDE kernels: counter-based noise, forward samplers (the exact
// GBM sampler's mean and variance), dot-product tests of every VJP against its JVP,
// finite differences of the driver/terminal derivatives, and the finite-difference
// gradient of the whole batch loss with respect to Y_0 and every network parameter.
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <tuple>

#include "bsde_test_util.hpp"
#include "udeflow/bsde/backward.hpp"
#include "udeflow/bsde/model.hpp"
#include "udeflow/bsde/paths.hpp"
#include "udeflow/bsde/znet.hpp"
#include "udeflow/nn/dense_net.hpp"
#include "udeflow/nn/mlp.hpp"

using namespace udeflow::bsde;
using udeflow::bsde::test::MakeEquation;
using udeflow::bsde::test::RandomMatrix;
using udeflow::bsde::test::RandomVector;
using udeflow::nn::DenseNet;
using udeflow::nn::FastTanh;

namespace {

const char* kEquations[] = {"hjb", "allencahn", "bsb", "defaultrisk"};

double Dot(const Matrix& a, const Matrix& b) {
  return (a.array() * b.array()).sum();
}

// A state of the right scale for each equation (positive for the GBM equations).
Matrix SampleState(const Equation& eq, Eigen::Index B, uint64_t seed) {
  Matrix x = RandomMatrix(eq.Dim(), B, seed);
  if (std::string(eq.Name()) == "bsb") x = (x.array() * 0.3 + 1.0).matrix();
  if (std::string(eq.Name()) == "defaultrisk") x = (x.array() * 20.0 + 100.0).matrix();
  return x;
}
Vector SampleY(const Equation& eq, Eigen::Index B, uint64_t seed) {
  Vector y = RandomVector(B, seed);
  if (std::string(eq.Name()) == "defaultrisk")
    y = (y.array() * 25.0 + 60.0).matrix();  // covers all Q pieces
  return y;
}

TEST(BsdeNoise, SameNumbersWhateverTheSplit) {
  const int N = 3, d = 5;
  Matrix all(d, N * 10), a(d, N * 4), b(d, N * 6);
  SampleBrownianIncrements(7, 11, 0, N, 0.25, all);
  SampleBrownianIncrements(7, 11, 0, N, 0.25, a);
  SampleBrownianIncrements(7, 11, 4, N, 0.25, b);
  for (int n = 0; n < N; ++n) {
    EXPECT_EQ(all.middleCols(n * 10, 4), a.middleCols(n * 4, 4));
    EXPECT_EQ(all.middleCols(n * 10 + 4, 6), b.middleCols(n * 6, 6));
  }
  // The vectorized Box-Muller gives the numbers of Philox::Normal2 (scalar libm) for
  // counter (stream, (sample << 32) | pair), entry e = n*d + i of a sample.
  for (int b : {0, 7})
    for (int n = 0; n < N; ++n)
      for (int i = 0; i < d; ++i) {
        const int e = n * d + i;
        double z0, z1;
        udeflow::Philox::Normal2(7, 11, (uint64_t(b) << 32) | (e / 2), &z0, &z1);
        EXPECT_NEAR(all(i, n * 10 + b), 0.5 * (e % 2 ? z1 : z0), 1e-14);
      }
  Matrix other(d, N * 10);
  SampleBrownianIncrements(7, 12, 0, N, 0.25, other);  // another iteration: other numbers
  EXPECT_GT((other - all).norm(), 1.0);
}

TEST(BsdeNoise, IncrementsAreCenteredWithVarianceDt) {
  const int N = 2, d = 3, B = 40000;  // odd d*N exercises the last half pair
  const double dt = 0.1;
  Matrix dw(d, N * B);
  SampleBrownianIncrements(1, 0, 0, N, dt, dw);
  const double n = dw.size();
  const double mean = dw.mean();
  const double var = (dw.array() - mean).square().sum() / (n - 1);
  EXPECT_LT(std::abs(mean), 4 * std::sqrt(dt / n));
  EXPECT_LT(std::abs(var / dt - 1), 4 * std::sqrt(2.0 / n));
}

// The exact-in-law GBM step: X_T = x0 exp((mu - s^2/2) T + s W_T) has mean x0 e^{mu T}
// and variance x0^2 e^{2 mu T}(e^{s^2 T} - 1), whatever the number of steps.
TEST(BsdeSampler, ExactGbmMeanAndVariance) {
  struct Case {
    const char* eq;
    double mu, s, x0_first;
  };
  for (const Case& c : {Case{"bsb", 0.0, 0.4, 1.0}, Case{"defaultrisk", 0.02, 0.2, 100.0}}) {
    auto eq = MakeEquation(c.eq, 2);
    const int N = 3, B = 50000;
    const double dt = eq->Horizon() / N, T = eq->Horizon();
    Matrix dw(2, N * B), x(2, (N + 1) * B), work(2, B);
    SampleBrownianIncrements(3, 0, 0, N, dt, dw);
    SimulateForward(*eq, SdeScheme::kExact, dt, dw, x, work);
    const Vector xT = x.block(0, N * B, 1, B).transpose();
    const double mean = xT.mean(), var = (xT.array() - mean).square().sum() / (B - 1);
    const double m_exact = c.x0_first * std::exp(c.mu * T);
    const double v_exact = m_exact * m_exact * (std::exp(c.s * c.s * T) - 1);
    EXPECT_LT(std::abs(mean - m_exact), 4 * std::sqrt(v_exact / B)) << c.eq;
    // Std. error of the sample variance of a log-normal: sqrt((m4 - v^2)/B); 5% is ~5 sigma here.
    EXPECT_LT(std::abs(var / v_exact - 1), 0.05) << c.eq;
    // ln X_T is exactly Gaussian: mean ln x0 + (mu - s^2/2) T, variance s^2 T.
    const Vector lx = xT.array().log();
    const double lm = lx.mean(), lv = (lx.array() - lm).square().sum() / (B - 1);
    EXPECT_LT(std::abs(lm - (std::log(c.x0_first) + (c.mu - 0.5 * c.s * c.s) * T)),
              4 * c.s * std::sqrt(T / B));
    EXPECT_LT(std::abs(lv / (c.s * c.s * T) - 1), 4 * std::sqrt(2.0 / B));
    // Euler-Maruyama agrees in mean (it is unbiased for the mean of a linear SDE).
    SimulateForward(*eq, SdeScheme::kEuler, dt, dw, x, work);
    const double mean_euler = x.block(0, N * B, 1, B).mean();
    EXPECT_LT(std::abs(mean_euler - m_exact), 4 * std::sqrt(v_exact / B)) << c.eq;
  }
}

TEST(BsdeSampler, PathStatisticsOfBrownianMotion) {
  auto eq = MakeEquation("hjb", 4);
  PathStatistics s = ComputePathStatistics(*eq, SdeScheme::kExact, 5, 4, 4000);
  ASSERT_EQ(s.mean.cols(), 5);
  EXPECT_EQ(s.inv_std.col(0), Vector::Ones(4));  // X_0 = x0 does not move
  for (int n = 1; n <= 4; ++n)
    for (int i = 0; i < 4; ++i) {
      const double sd = std::sqrt(2.0 * n / 4.0);  // sqrt(2 t_n)
      EXPECT_NEAR(s.mean(i, n), 0.0, 4 * sd / std::sqrt(4000.0));
      EXPECT_NEAR(1.0 / s.inv_std(i, n) / sd, 1.0, 0.06);
    }
  EXPECT_NEAR(s.terminal_mean, eq->TrivialAnswer(), 0.01);
}

// Driver and terminal derivatives: dot-product test (VJP vs JVP) and finite differences.
TEST(BsdeEquations, DriverVjpJvpAndFiniteDifferences) {
  for (const char* name : kEquations) {
    auto eq = MakeEquation(name, 6);
    const int B = 9, d = 6;
    const Matrix x = SampleState(*eq, B, 1), z = RandomMatrix(d, B, 2);
    const Vector y = SampleY(*eq, B, 3);
    const Vector ydot = RandomVector(B, 4), fbar = RandomVector(B, 5);
    const Matrix zdot = RandomMatrix(d, B, 6);
    Vector fdot(B), ybar = Vector::Zero(B);
    Matrix zbar = Matrix::Zero(d, B);
    eq->DriverJvp(0.3, x, y, z, ydot, zdot, fdot);
    eq->DriverVjp(0.3, x, y, z, fbar, ybar, zbar);
    const double lhs = fbar.dot(fdot), rhs = ybar.dot(ydot) + Dot(zbar, zdot);
    EXPECT_NEAR(lhs, rhs, 1e-12 * (1 + std::abs(lhs))) << name;
    const double h = 1e-6;
    Vector fp(B), fm(B);
    eq->Driver(0.3, x, y + h * ydot, z + h * zdot, fp);
    eq->Driver(0.3, x, y - h * ydot, z - h * zdot, fm);
    EXPECT_LT(((fp - fm) / (2 * h) - fdot).norm(), 1e-7 * (1 + fdot.norm())) << name;

    // Terminal gradient.
    Matrix grad(d, B);
    eq->TerminalGradient(x, grad);
    const Matrix xdot = RandomMatrix(d, B, 7);
    Vector gp(B), gm(B);
    eq->Terminal(x + h * xdot, gp);
    eq->Terminal(x - h * xdot, gm);
    const Vector dir = grad.cwiseProduct(xdot).colwise().sum().transpose();
    EXPECT_LT(((gp - gm) / (2 * h) - dir).norm(), 1e-6 * (1 + dir.norm())) << name;

    // sigma and sigma^T are transposes of each other.
    Matrix sv(d, B), stw(d, B);
    const Matrix v = RandomMatrix(d, B, 8), w = RandomMatrix(d, B, 9);
    eq->Diffusion(0.1, x, v, sv);
    eq->DiffusionTranspose(0.1, x, w, stw);
    EXPECT_NEAR(Dot(w, sv), Dot(stw, v), 1e-12 * (1 + std::abs(Dot(w, sv)))) << name;
  }
}

// The backward recursion: <ybar, J (y0dot, zdot)> == y0bar * y0dot + <zbar, zdot>.
TEST(BsdeBackward, VjpPassesDotProductTest) {
  for (const char* name : kEquations)
    for (BackwardScheme scheme : {BackwardScheme::kEuler, BackwardScheme::kTrapezoid}) {
      auto eq = MakeEquation(name, 5);
      const int N = 4, B = 7, d = 5;
      const double dt = eq->Horizon() / N;
      Matrix dw(d, N * B), x(d, (N + 1) * B), work(d, B);
      SampleBrownianIncrements(1, 2, 0, N, dt, dw);
      SimulateForward(*eq, SdeScheme::kExact, dt, dw, x, work);
      const Matrix z = RandomMatrix(d, (N + 1) * B, 3, 0.5);
      const double y0 = std::string(name) == "defaultrisk" ? 60.0 : 0.3;
      BackwardWork w;
      w.Resize(N, B);
      BackwardSolve(*eq, scheme, dt, y0, x, z, dw, w);
      const Matrix zdot = RandomMatrix(d, (N + 1) * B, 4);
      const Vector ybar = RandomVector(B, 5);
      Vector ydot(B);
      Matrix zbar(d, (N + 1) * B);
      const double y0dot = 0.7;
      BackwardJvp(*eq, scheme, dt, x, z, dw, y0dot, zdot, ydot, w);
      const double y0bar = BackwardVjp(*eq, scheme, dt, x, z, dw, ybar, zbar, w);
      const double lhs = ybar.dot(ydot), rhs = y0bar * y0dot + Dot(zbar, zdot);
      EXPECT_NEAR(lhs, rhs, 1e-12 * (1 + std::abs(lhs)))
          << name << " " << BackwardSchemeName(scheme);
      // And the tangent is the derivative (finite differences).
      const double h = 1e-6;
      BackwardSolve(*eq, scheme, dt, y0 + h * y0dot, x, z + h * zdot, dw, w);
      const Vector yp = w.y.col(N);
      BackwardSolve(*eq, scheme, dt, y0 - h * y0dot, x, z - h * zdot, dw, w);
      const Vector ym = w.y.col(N);
      EXPECT_LT(((yp - ym) / (2 * h) - ydot).norm(), 1e-6 * (1 + ydot.norm())) << name;
    }
}

// The trapezoidal scheme uses Z_N; the Euler scheme never reads it.
TEST(BsdeBackward, EulerIgnoresTerminalZ) {
  auto eq = MakeEquation("hjb", 3);
  const int N = 2, B = 4, d = 3;
  Matrix dw = RandomMatrix(d, N * B, 1, 0.3), x = RandomMatrix(d, (N + 1) * B, 2);
  Matrix z = RandomMatrix(d, (N + 1) * B, 3), zbar(d, (N + 1) * B);
  BackwardWork w;
  w.Resize(N, B);
  BackwardSolve(*eq, BackwardScheme::kEuler, 0.5, 1.0, x, z, dw, w);
  BackwardVjp(*eq, BackwardScheme::kEuler, 0.5, x, z, dw, Vector::Ones(B), zbar, w);
  EXPECT_EQ(zbar.rightCols(B).norm(), 0.0);
}

// DenseNet reproduces nn::Mlp (same layout and initialization) up to round-off, and
// its VJPs pass dot-product tests, with and without the linear skip connection.
TEST(BsdeDenseNet, MatchesMlpAndPassesDotProductTests) {
  for (auto act : {udeflow::nn::Activation::kTanh, udeflow::nn::Activation::kRelu,
                   udeflow::nn::Activation::kSoftplus, udeflow::nn::Activation::kSigmoid}) {
    const std::vector<int> widths{4, 7, 6, 3};
    const int B = 9;
    udeflow::nn::Mlp mlp(widths, act);
    mlp.Initialize(5, 1.0);
    DenseNet net(widths, act);
    ASSERT_EQ(net.NumParams(), mlp.NumParams());
    Vector p(net.NumParams());
    net.Initialize(5, 1.0, 1.0, p.data());
    EXPECT_EQ(p, mlp.Params());
    mlp.Params() += RandomVector(mlp.NumParams(), 6, 0.05);  // non-zero biases
    p = mlp.Params();
    const Matrix x = RandomMatrix(4, B, 7, 2.0), ybar = RandomMatrix(3, B, 8);
    udeflow::nn::Mlp::Tape mt;
    DenseNet::Tape dt;
    mlp.Forward(x, mt);
    net.Forward(p.data(), x, dt);
    EXPECT_LT((mt.Output() - dt.Output()).norm(), 1e-14 * (1 + mt.Output().norm()));
    Vector gm = Vector::Zero(p.size()), gd = Vector::Zero(p.size());
    Matrix xm, xd;
    mlp.Vjp(mt, ybar, &xm, gm.data());
    net.Vjp(p.data(), dt, ybar, gd.data(), &xd);
    EXPECT_LT((gm - gd).norm(), 1e-13 * (1 + gm.norm()));
    EXPECT_LT((xm - xd).norm(), 1e-13 * (1 + xm.norm()));
  }
  for (auto skip :
       {DenseNet::Skip::kNone, DenseNet::Skip::kDiagonal, DenseNet::Skip::kQuadratic,
        DenseNet::Skip::kGated, DenseNet::Skip::kGatedQuadratic, DenseNet::Skip::kFull}) {
    DenseNet net({5, 8, 7, 4}, udeflow::nn::Activation::kTanh, udeflow::nn::Activation::kIdentity,
                 skip, 1);
    Vector p = RandomVector(net.NumParams(), 1, 0.5);
    const int B = 6;
    const Matrix x = RandomMatrix(5, B, 2), ybar = RandomMatrix(4, B, 3);
    DenseNet::Tape t;
    if (skip == DenseNet::Skip::kGated) {
      // Forward: y_i = MLP_i + x_{1+i} (s_i + (V h)_i): compare with s = V = 0 plus the gate by
      // hand.
      Vector p0 = p;
      Eigen::Map<Vector>(net.SkipParams(p0.data()), 4 * 8).setZero();
      DenseNet::Tape t0;
      net.Forward(p0.data(), x, t0);
      net.Forward(p.data(), x, t);
      Eigen::Map<const Vector> s(net.SkipParams(p.data()), 4);
      Eigen::Map<const Matrix> V(net.SkipParams(p.data()) + 4, 4, 7);
      const Matrix gate = (V * t.act[2]).colwise() + s;
      EXPECT_LT((t.Output() - t0.Output() - x.middleRows(1, 4).cwiseProduct(gate)).norm(), 1e-13);
    }
    net.Forward(p.data(), x, t);
    const Vector thetadot = RandomVector(net.NumParams(), 4);
    Matrix ydot, xbar;
    net.ParamJvp(p.data(), t, thetadot.data(), &ydot);
    Vector g = Vector::Zero(net.NumParams());
    net.Vjp(p.data(), t, ybar, g.data(), &xbar);
    EXPECT_NEAR(Dot(ybar, ydot), g.dot(thetadot), 1e-12 * (1 + std::abs(g.dot(thetadot))))
        << DenseNet::SkipName(skip);
    // Input VJP against finite differences of the forward map.
    const Matrix xdot = RandomMatrix(5, B, 5);
    const double h = 1e-6;
    DenseNet::Tape tp, tm;
    net.Forward(p.data(), x + h * xdot, tp);
    net.Forward(p.data(), x - h * xdot, tm);
    EXPECT_NEAR(Dot(ybar, (tp.Output() - tm.Output()) / (2 * h)), Dot(xbar, xdot), 1e-7)
        << DenseNet::SkipName(skip);
  }
  Matrix z(1, 7);
  z << -800, -3, -1e-9, 0, 1e-9, 0.5, 400;
  Matrix t = z;
  FastTanh(t);
  for (int i = 0; i < 7; ++i) EXPECT_NEAR(t(0, i), std::tanh(z(0, i)), 3e-16);
}

class ZNetKinds : public ::testing::TestWithParam<ZNetConfig::Kind> {};

// A small network (width 6) of the tested kind with `skip`, random
// parameters theta and a random input standardization.
std::unique_ptr<ZNetwork> MakeTestNet(ZNetConfig::Kind kind, DenseNet::Skip skip, bool norm_feature,
                                      int d, int N, Vector* theta) {
  ZNetConfig c;
  c.kind = kind;
  c.width = 6;
  c.skip = skip;
  c.norm_feature = norm_feature;
  auto net = CreateZNetwork(c, d, N, 1.0);
  const int P = net->NumParams();
  theta->resize(P);
  net->Initialize(3, theta->data());
  *theta += RandomVector(P, 4, 0.5);
  net->SetNormalization(RandomMatrix(d, N + 1, 5, 0.1),
                        (RandomMatrix(d, N + 1, 6, 0.2).array() + 1.0).matrix());
  return net;
}

// Network parameter VJP vs ParamJvp (dot-product test).
TEST_P(ZNetKinds, ParamVjpPassesDotProductTest) {
  for (auto skip :
       {DenseNet::Skip::kNone, DenseNet::Skip::kDiagonal, DenseNet::Skip::kQuadratic,
        DenseNet::Skip::kGated, DenseNet::Skip::kGatedQuadratic, DenseNet::Skip::kFull}) {
    const int d = 4, N = 3, B = 5;
    Vector theta;
    auto net = MakeTestNet(GetParam(), skip, skip == DenseNet::Skip::kGated, d, N, &theta);
    const int P = net->NumParams();
    const Matrix x = RandomMatrix(d, (N + 1) * B, 7);
    ZTape tape;
    Matrix z(d, (N + 1) * B), zdot(d, (N + 1) * B);
    net->Forward(theta.data(), x, B, tape, z);
    const Vector thetadot = RandomVector(P, 8);
    const Matrix zbar = RandomMatrix(d, (N + 1) * B, 9);
    net->ParamJvp(theta.data(), tape, thetadot.data(), B, zdot);
    Vector g = Vector::Zero(P);
    net->Vjp(theta.data(), tape, zbar, B, g.data());
    const double lhs = Dot(zbar.leftCols(N * B), zdot.leftCols(N * B)), rhs = g.dot(thetadot);
    EXPECT_NEAR(lhs, rhs, 1e-12 * (1 + std::abs(lhs))) << DenseNet::SkipName(skip);
  }
}

// ForwardStep (one step at a time, used by the controlled simulation) gives the same Z
// as block n of Forward.
TEST_P(ZNetKinds, ForwardStepMatchesForward) {
  for (auto skip : {DenseNet::Skip::kNone, DenseNet::Skip::kQuadratic, DenseNet::Skip::kGated,
                    DenseNet::Skip::kGatedQuadratic, DenseNet::Skip::kFull}) {
    const int d = 4, N = 3, B = 5;
    Vector theta;
    auto net = MakeTestNet(
        GetParam(), skip, skip == DenseNet::Skip::kGated || skip == DenseNet::Skip::kGatedQuadratic,
        d, N, &theta);
    net->SetFeatureNormalization(RandomVector(N + 1, 10, 0.3),
                                 (RandomVector(N + 1, 11, 0.2).array() + 1.0).matrix());
    const Matrix x = RandomMatrix(d, (N + 1) * B, 7);
    ZTape tape;
    Matrix z(d, (N + 1) * B), zn(d, B);
    net->Forward(theta.data(), x, B, tape, z);
    for (int n = 0; n < N; ++n) {
      net->ForwardStep(theta.data(), n, x.middleCols(n * B, B), tape, zn);
      EXPECT_LE((zn - z.middleCols(n * B, B)).cwiseAbs().maxCoeff(),
                1e-14 * (1 + z.cwiseAbs().maxCoeff()))
          << DenseNet::SkipName(skip) << " step " << n;
    }
  }
}

// Controlled simulation: the stored increments are dW_n + dt theta_n with theta_n = df/dz
// at the network's Z_n (HJB: -lambda Z_n; BSB: r/sigma, constant), the paths are the
// scheme's steps with them, and the loss sees the same Z as the forward simulation.
TEST_P(ZNetKinds, ControlledPathsUseTheDriverDerivative) {
  for (const char* name : {"hjb", "bsb"}) {
    const int d = 3, N = 4, B = 5;
    auto eq = MakeEquation(name, d, std::string(name) == "hjb" ? "-bsde_hjb_lambda 3" : "");
    ZNetConfig c;
    c.kind = GetParam();
    c.width = 5;
    c.zscale = 0.5;
    c.skip = DenseNet::Skip::kGated;
    BsdeModel model(*eq, CreateZNetwork(c, d, N, eq->Horizon()), N, SdeScheme::kExact,
                    BackwardScheme::kTrapezoid);
    model.InitializeNetwork(11);
    model.Params() += RandomVector(model.NumParams(), 12, 0.1);
    model.SetY0(1.0);
    model.SetControl(true);
    BsdeBatch batch;
    batch.Resize(d, N, B);
    model.Simulate(2, 7, 3, batch);
    Matrix dw(d, N * B);
    SampleBrownianIncrements(2, 7, 3, N, model.Dt(), dw);
    Matrix zs(d, B), next(d, B), work(d, B);
    ZTape tape;
    for (int n = 0; n < N; ++n) {
      auto xn = batch.x.middleCols(n * B, B);
      model.Net().ForwardStep(model.Params().data() + 1, n, xn, tape, zs);
      const Matrix theta =
          std::string(name) == "hjb" ? Matrix(-3.0 * zs) : Matrix::Constant(d, B, 0.05 / 0.4);
      const Matrix expect = dw.middleCols(n * B, B) + model.Dt() * theta;
      EXPECT_LE((batch.dw.middleCols(n * B, B) - expect).cwiseAbs().maxCoeff(), 1e-14)
          << name << " step " << n;
      StepForward(*eq, SdeScheme::kExact, n * model.Dt(), model.Dt(), xn, expect, next, work);
      EXPECT_LE((batch.x.middleCols((n + 1) * B, B) - next).cwiseAbs().maxCoeff(),
                1e-12 * (1 + next.cwiseAbs().maxCoeff()))
          << name << " step " << n;
    }
    EXPECT_GT((batch.dw - dw).norm(), 1e-3) << name;  // the control does something
    // The loss evaluates the network on the same paths: Z of the loss = Z of the simulation.
    const Matrix zsim = batch.z.leftCols(N * B);
    model.Loss(batch, 1.0, nullptr);
    EXPECT_LE((batch.z.leftCols(N * B) - zsim).cwiseAbs().maxCoeff(), 1e-14) << name;
  }
}

// The whole batch loss: gradient w.r.t. Y_0 and every network parameter vs central
// finite differences, for both networks, both backward schemes, every equation.
TEST_P(ZNetKinds, LossGradientMatchesFiniteDifferences) {
  for (const char* name : kEquations)
    for (BackwardScheme scheme : {BackwardScheme::kEuler, BackwardScheme::kTrapezoid})
      for (double clip : {0.0, 0.3}) {
        const int d = 3, N = 4, B = 6;
        auto eq = MakeEquation(name, d);
        ZNetConfig c;
        c.kind = GetParam();
        c.width = 5;
        c.zscale = 0.5;
        c.skip = clip > 0 ? (scheme == BackwardScheme::kEuler ? DenseNet::Skip::kFull
                                                              : DenseNet::Skip::kGated)
                          : (scheme == BackwardScheme::kEuler ? DenseNet::Skip::kDiagonal
                                                              : DenseNet::Skip::kGatedQuadratic);
        c.norm_feature = clip > 0;
        BsdeModel model(*eq, CreateZNetwork(c, d, N, eq->Horizon()), N, SdeScheme::kExact, scheme);
        model.InitializeNetwork(11);
        PathStatistics stats = ComputePathStatistics(*eq, SdeScheme::kExact, 1, N, 64);
        model.Net().SetNormalization(stats.mean, stats.inv_std);
        model.SetLossClip(clip);
        model.SetControl(clip > 0);  // controlled paths: the gradient at fixed (simulated) paths
        const int P = model.NumParams();
        model.Params() += RandomVector(P, 12, 0.1);                  // non-zero Z_0, biases, skip
        model.SetY0(stats.terminal_mean + (clip > 0 ? 0.5 : 0.05));  // clip some samples
        const Vector theta = model.Params();
        BsdeBatch batch;
        batch.Resize(d, N, B);
        model.Simulate(2, 0, 0, batch);
        Vector grad = Vector::Zero(P);
        const double w = 1.0 / B;
        double curvature = 0;
        model.Loss(batch, w, grad.data(), &curvature);
        // Gauss-Newton curvature in Y_0: 2 w sum (dY_N/dY_0)^2, by finite differences of Y_N.
        {
          const double h0 = 1e-5, y0 = model.Y0();
          model.SetY0(y0 + h0);
          model.Loss(batch, w, nullptr);
          const Vector yp = batch.backward.y.col(N);
          model.SetY0(y0 - h0);
          model.Loss(batch, w, nullptr);
          const Vector ym = batch.backward.y.col(N);
          model.SetY0(y0);
          const double gn = 2 * w * ((yp - ym) / (2 * h0)).squaredNorm();
          EXPECT_NEAR(curvature, gn, 1e-7 * gn) << name;
          if (std::string(name) == "hjb") {
            EXPECT_NEAR(curvature, 2.0, 1e-12);  // dY_N/dY_0 = 1
          }
        }
        // Individual parameters: Y_0, the first few and a spread of the rest.
        const double h = 1e-6;
        for (int k = 0; k < P; k += (k < 4 ? 1 : std::max(1, P / 17))) {
          model.Params() = theta;
          model.Params()[k] += h;
          const double lp = model.Loss(batch, w, nullptr);
          model.Params()[k] -= 2 * h;
          const double lm = model.Loss(batch, w, nullptr);
          EXPECT_NEAR((lp - lm) / (2 * h), grad[k], 1e-6 * (1 + std::abs(grad[k])))
              << name << " " << BackwardSchemeName(scheme) << " clip " << clip << " parameter " << k
              << (model.Controlled() ? " controlled" : "");
        }
        // A random direction through all parameters.
        const Vector dir = RandomVector(P, 13);
        model.Params() = theta + h * dir;
        const double lp = model.Loss(batch, w, nullptr);
        model.Params() = theta - h * dir;
        const double lm = model.Loss(batch, w, nullptr);
        EXPECT_NEAR((lp - lm) / (2 * h), grad.dot(dir), 1e-6 * (1 + std::abs(grad.dot(dir))))
            << name;
      }
}

// The warm start of a quadratic skip equals a brute-force least-squares fit of the exact
// terminal Z_N,i by (1, xhat_i, xhat_i^2) over the statistics paths (pooled over steps).
TEST(BsdeWarmStart, MatchesBruteForceLeastSquares) {
  const int d = 3, N = 4, M = 500;
  auto eq = MakeEquation("bsb", d);
  PathStatistics stats = ComputePathStatistics(*eq, SdeScheme::kExact, 9, N, M);
  PoolPathStatistics(&stats);
  ZNetConfig c;
  c.kind = ZNetConfig::Kind::kShared;
  c.width = 4;
  c.zscale = 0.5;
  c.skip = DenseNet::Skip::kQuadratic;
  c.output_scale = 0;  // MLP output = its bias only
  auto net = CreateZNetwork(c, d, N, eq->Horizon());
  net->SetNormalization(stats.mean, stats.inv_std);
  Vector theta(net->NumParams());
  net->Initialize(1, theta.data());
  net->WarmStartSkip(stats, theta.data());
  // Brute force on the same paths.
  std::vector<Eigen::MatrixXd> rows(d);
  std::vector<Eigen::VectorXd> rhs(d);
  for (int i = 0; i < d; ++i) {
    rows[i].resize(N * M, 3);
    rhs[i].resize(N * M);
  }
  int offset = 0;
  ForEachStatisticsChunk(*eq, SdeScheme::kExact, 9, N, M, [&](const Matrix& x, Eigen::Index B) {
    Matrix gx(d, B), zN(d, B);
    eq->TerminalGradient(x.rightCols(B), gx);
    eq->DiffusionTranspose(eq->Horizon(), x.rightCols(B), gx, zN);
    for (int n = 0; n < N; ++n)
      for (Eigen::Index b = 0; b < B; ++b)
        for (int i = 0; i < d; ++i) {
          const double xh = (x(i, n * B + b) - stats.mean(i, n)) * stats.inv_std(i, n);
          rows[i].row(offset + n * B + b) << 1.0, xh, xh * xh;
          rhs[i](offset + n * B + b) = zN(i, b);
        }
    offset += static_cast<int>(N * B);
  });
  // Evaluate the warm-started network on a probe batch and compare with the fit.
  const int Bp = 2;
  Matrix xp = (RandomMatrix(d, (N + 1) * Bp, 3, 0.3).array() + 1.0).matrix();
  ZTape tape;
  Matrix z(d, (N + 1) * Bp);
  net->Forward(theta.data(), xp, Bp, tape, z);
  for (int i = 0; i < d; ++i) {
    const Eigen::Vector3d coef = rows[i].colPivHouseholderQr().solve(rhs[i]);
    for (int n = 1; n < N; ++n)
      for (int b = 0; b < Bp; ++b) {
        const double xh = (xp(i, n * Bp + b) - stats.mean(i, n)) * stats.inv_std(i, n);
        const double fit = coef[0] + coef[1] * xh + coef[2] * xh * xh;
        EXPECT_NEAR(z(i, n * Bp + b), fit, 1e-8 * (1 + std::abs(fit))) << "coordinate " << i;
      }
  }
}

INSTANTIATE_TEST_SUITE_P(Bsde, ZNetKinds,
                         ::testing::Values(ZNetConfig::Kind::kSubnets, ZNetConfig::Kind::kShared),
                         [](const auto& info) { return std::string(ZNetKindName(info.param)); });

}  // namespace
