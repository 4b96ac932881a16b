#include "udeflow/bsde/backward.hpp"

#include "udeflow/core/error.hpp"

namespace udeflow::bsde {

BackwardScheme ParseBackwardScheme(const std::string& name) {
  if (name == "euler") return BackwardScheme::kEuler;
  if (name == "trapezoid") return BackwardScheme::kTrapezoid;
  throw Error("unknown backward scheme '" + name + "' (choices: euler, trapezoid)");
}

const char* BackwardSchemeName(BackwardScheme s) {
  return s == BackwardScheme::kEuler ? "euler" : "trapezoid";
}

void BackwardWork::Resize(int N, Eigen::Index B) {
  y.resize(B, N + 1);
  f.resize(B, N);
  p.resize(B, N);
  fp.resize(B, N);
  zdw.resize(B, N);
  for (Vector* v : {&a, &fbar, &pbar, &gbar, &dot1, &dot2}) v->resize(B);
}

namespace {

struct Shape {
  Eigen::Index B;
  int N;
};

Shape CheckShapes(const ConstMatrixRef& x, const ConstMatrixRef& z, const ConstMatrixRef& dw,
                  const BackwardWork& w) {
  const Eigen::Index B = w.y.rows();
  const int N = static_cast<int>(w.y.cols()) - 1;
  Require(N >= 1 && x.cols() == (N + 1) * B && z.cols() == (N + 1) * B && dw.cols() == N * B &&
              z.rows() == x.rows() && dw.rows() == x.rows(),
          "backward scheme: inconsistent batch shapes");
  return {B, N};
}

}  // namespace

void BackwardSolve(const Equation& eq, BackwardScheme scheme, double dt, double y0,
                   const ConstMatrixRef& x, const ConstMatrixRef& z, const ConstMatrixRef& dw,
                   BackwardWork& w) {
  const auto [B, N] = CheckShapes(x, z, dw, w);
  w.y.col(0).setConstant(y0);
  for (int n = 0; n < N; ++n) {
    const double t = n * dt;
    auto xn = x.middleCols(n * B, B);
    auto zn = z.middleCols(n * B, B);
    w.zdw.col(n) = zn.cwiseProduct(dw.middleCols(n * B, B)).colwise().sum().transpose();
    eq.Driver(t, xn, w.y.col(n), zn, w.f.col(n));
    if (scheme == BackwardScheme::kEuler) {
      w.y.col(n + 1) = w.y.col(n) - dt * w.f.col(n) + w.zdw.col(n);
    } else {
      w.p.col(n) = w.y.col(n) - dt * w.f.col(n) + w.zdw.col(n);
      eq.Driver(t + dt, x.middleCols((n + 1) * B, B), w.p.col(n), z.middleCols((n + 1) * B, B),
                w.fp.col(n));
      w.y.col(n + 1) = w.y.col(n) - (0.5 * dt) * (w.f.col(n) + w.fp.col(n)) + w.zdw.col(n);
    }
  }
}

double BackwardVjp(const Equation& eq, BackwardScheme scheme, double dt, const ConstMatrixRef& x,
                   const ConstMatrixRef& z, const ConstMatrixRef& dw, const ConstVectorRef& ybar_n,
                   MatrixRef zbar, BackwardWork& w) {
  const auto [B, N] = CheckShapes(x, z, dw, w);
  Require(zbar.rows() == z.rows() && zbar.cols() == z.cols() && ybar_n.size() == B,
          "BackwardVjp: bad shapes");
  zbar.setZero();
  Vector& a = w.a;  // cotangent of Y_{n+1}, then of Y_n
  a = ybar_n;
  for (int n = N - 1; n >= 0; --n) {
    const double t = n * dt;
    auto xn = x.middleCols(n * B, B);
    auto zn = z.middleCols(n * B, B);
    auto zbar_n = zbar.middleCols(n * B, B);
    if (scheme == BackwardScheme::kEuler) {
      // Y_{n+1} = Y_n - dt F_n + Z_n.dW_n
      w.fbar = -dt * a;
      zbar_n = dw.middleCols(n * B, B) * a.asDiagonal();
      eq.DriverVjp(t, xn, w.y.col(n), zn, w.fbar, a, zbar_n);  // a += fbar .* f_y
    } else {
      // Y_{n+1} = Y_n - dt/2 (F_n + G_n) + Z_n.dW_n, G_n = f(t_{n+1}, X_{n+1}, P_n, Z_{n+1}),
      // P_n = Y_n - dt F_n + Z_n.dW_n
      w.gbar = -0.5 * dt * a;
      w.pbar.setZero();
      eq.DriverVjp(t + dt, x.middleCols((n + 1) * B, B), w.p.col(n), z.middleCols((n + 1) * B, B),
                   w.gbar, w.pbar, zbar.middleCols((n + 1) * B, B));
      w.fbar = -0.5 * dt * a - dt * w.pbar;
      a += w.pbar;  // now also the cotangent of Z_n.dW_n
      zbar_n += dw.middleCols(n * B, B) * a.asDiagonal();
      eq.DriverVjp(t, xn, w.y.col(n), zn, w.fbar, a, zbar_n);
    }
  }
  return a.sum();
}

void BackwardJvp(const Equation& eq, BackwardScheme scheme, double dt, const ConstMatrixRef& x,
                 const ConstMatrixRef& z, const ConstMatrixRef& dw, double y0dot,
                 const ConstMatrixRef& zdot, VectorRef ydot_n, BackwardWork& w) {
  const auto [B, N] = CheckShapes(x, z, dw, w);
  Require(zdot.rows() == z.rows() && zdot.cols() == z.cols() && ydot_n.size() == B,
          "BackwardJvp: bad shapes");
  Vector& ydot = w.a;
  ydot.setConstant(y0dot);
  for (int n = 0; n < N; ++n) {
    const double t = n * dt;
    auto xn = x.middleCols(n * B, B);
    auto zn = z.middleCols(n * B, B);
    auto zdot_n = zdot.middleCols(n * B, B);
    w.dot1 = zdot_n.cwiseProduct(dw.middleCols(n * B, B)).colwise().sum().transpose();  // (Z.dW)dot
    eq.DriverJvp(t, xn, w.y.col(n), zn, ydot, zdot_n, w.fbar);                          // F_n dot
    if (scheme == BackwardScheme::kEuler) {
      ydot += -dt * w.fbar + w.dot1;
    } else {
      w.pbar = ydot - dt * w.fbar + w.dot1;  // P_n dot
      eq.DriverJvp(t + dt, x.middleCols((n + 1) * B, B), w.p.col(n), z.middleCols((n + 1) * B, B),
                   w.pbar, zdot.middleCols((n + 1) * B, B), w.gbar);
      ydot += -0.5 * dt * (w.fbar + w.gbar) + w.dot1;
    }
  }
  ydot_n = ydot;
}

}  // namespace udeflow::bsde
