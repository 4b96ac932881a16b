#include "stencil_closure.hpp"

#include <sstream>

#include "udeflow/core/error.hpp"

namespace udeflow::pde {

void StencilClosure::Configure(const ClosureConfig&, int n_in, int n_out) {
  if (n_in != 3 || n_out != 1) {
    std::ostringstream s;
    s << "closure 'stencil' maps the 3 values of a stencil to 1 output; the physics asks for "
      << n_in << " -> " << n_out;
    throw Error(s.str());
  }
}

void StencilClosure::Initialize(double* theta) const {
  theta[0] = 1;
  theta[1] = -2;
  theta[2] = 1;
  theta[3] = 1;
}

// The tape keeps the inputs (for the parameter products) and the output.
void StencilClosure::Forward(const nn::ConstMatrixRef& x, Tape& tape) const {
  const double* th = Theta();  // [w1, w2, w3, s], read into registers
  const double w[3] = {th[0], th[1], th[2]}, s = th[3];
  tape.act.resize(2);
  tape.act[0] = x;
  const Eigen::Index n = x.cols();
  nn::Matrix& y = tape.act[1];
  y.resize(1, n);
  for (Eigen::Index j = 0; j < n; ++j)
    y(0, j) = s * (w[0] * x(0, j) + w[1] * x(1, j) + w[2] * x(2, j));
}

void StencilClosure::Vjp(Tape& tape, const nn::ConstMatrixRef& ybar, nn::Matrix* xbar,
                         double* g) const {
  const double* th = Theta();  // [w1, w2, w3, s], read into registers
  const double w[3] = {th[0], th[1], th[2]}, s = th[3];
  const Eigen::Index n = ybar.cols();
  if (xbar) {
    xbar->resize(3, n);
    for (Eigen::Index j = 0; j < n; ++j) {
      const double b = s * ybar(0, j);
      (*xbar)(0, j) = w[0] * b;
      (*xbar)(1, j) = w[1] * b;
      (*xbar)(2, j) = w[2] * b;
    }
  }
  if (g) {
    const nn::Matrix& x = tape.act[0];
    double a0 = 0, a1 = 0, a2 = 0;
    for (Eigen::Index j = 0; j < n; ++j) {
      const double b = ybar(0, j);
      a0 += b * x(0, j);
      a1 += b * x(1, j);
      a2 += b * x(2, j);
    }
    g[0] += s * a0;
    g[1] += s * a1;
    g[2] += s * a2;
    g[3] += w[0] * a0 + w[1] * a1 + w[2] * a2;
  }
}

void StencilClosure::Jvp(Tape&, const nn::ConstMatrixRef& xdot, nn::Matrix* ydot) const {
  const double* th = Theta();  // [w1, w2, w3, s], read into registers
  const double w[3] = {th[0], th[1], th[2]}, s = th[3];
  const Eigen::Index n = xdot.cols();
  ydot->resize(1, n);
  for (Eigen::Index j = 0; j < n; ++j)
    (*ydot)(0, j) = s * (w[0] * xdot(0, j) + w[1] * xdot(1, j) + w[2] * xdot(2, j));
}

void StencilClosure::ParamJvp(Tape& tape, const double* td, nn::Matrix* ydot) const {
  const double* th = Theta();  // [w1, w2, w3, s], read into registers
  const double w[3] = {th[0], th[1], th[2]}, s = th[3];
  const nn::Matrix& x = tape.act[0];
  const Eigen::Index n = x.cols();
  ydot->resize(1, n);
  for (Eigen::Index j = 0; j < n; ++j) {
    const double wx = w[0] * x(0, j) + w[1] * x(1, j) + w[2] * x(2, j);
    const double dx = td[0] * x(0, j) + td[1] * x(1, j) + td[2] * x(2, j);
    (*ydot)(0, j) = s * dx + td[3] * wx;
  }
}

std::string StencilClosure::Describe() const {
  std::ostringstream s;
  s << "stencil s*(w1,w2,w3) (4 parameters)";
  return s.str();
}

}  // namespace udeflow::pde
