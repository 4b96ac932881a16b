#pragma once
/// \file quadrature.hpp
/// One-dimensional quadratures that give the project's own reference values for the
/// Brownian-driven test equations (pure code, no PETSc).
///
/// When X_T = sqrt(2) W_T with W a d-dimensional Brownian motion and x0 = 0,
/// |X_T|^2 = 2 T S with S ~ chi^2_d, so expectations of functions of |X_T|^2 are
/// one-dimensional integrals over the chi^2_d density.  They are computed with the
/// trapezoidal rule in u = ln s, where the integrand is analytic and decays at both
/// ends, so the rule converges exponentially; the step is halved until two successive
/// values agree to 1e-13 relative.  Everything is done in log space, so large d and
/// large lambda neither overflow nor underflow.
#include <functional>

namespace udeflow::bsde {

/// ln E[exp(log_h(S))] for S ~ chi^2_d.  Throws udeflow::Error if d < 1 or the
/// quadrature does not converge.
double ChiSquareLogExpectation(int d, const std::function<double(double)>& log_h);

/// E[h(S)] for S ~ chi^2_d (h of any sign, at most polynomial/logarithmic growth).
double ChiSquareExpectation(int d, const std::function<double(double)>& h);

/// Exact u(0, 0) of the HJB (LQG control) equation of Han, Jentzen & E (PNAS 2018):
/// u = -(1/lambda) ln E[exp(-lambda g(sqrt(2) W_T))], g(x) = ln((1 + |x|^2)/2).
double HjbExactValue(int d, double T, double lambda);

/// The same value through the Gamma/Laplace identity
/// E[(a + c S)^(-lambda)] = Gamma(lambda)^(-1) int_0^inf t^(lambda-1) e^(-a t) (1+2ct)^(-d/2) dt,
/// a = 1/2, c = T (an independent check of HjbExactValue).
double HjbExactValueLaplace(int d, double T, double lambda);

/// The trivial ("do-nothing") answer of HJB: E[g(X_T)] = E[ln(1/2 + T S)].
double HjbTrivialAnswer(int d, double T);

/// Allen-Cahn trivial answer E[g(X_T)], g(x) = 1/(2 + 0.4 |x|^2), X_T = sqrt(2) W_T.
double AllenCahnTrivialAnswer(int d, double T);

}  // namespace udeflow::bsde
