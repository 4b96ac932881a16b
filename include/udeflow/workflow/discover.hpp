#pragma once
/// \file discover.hpp
/// `udeflow discover`: equation recovery from a trained ODE universal differential
/// equation (the UDE paper's Lotka-Volterra step), for any OdePhysics (pde/ode.hpp).
///
///  1. The trained model (known part + closure U) is integrated from the first observed
///     state of a training trajectory; U is evaluated at the states it passes at the
///     data times (or -discover_samples uniform times).
///  2. STLSQ (stlsq.hpp) regresses each component of U on a polynomial library of
///     degree -discover_degree, threshold by -discover_criterion (bic | aic).
///  3. The same regression on finite-difference derivatives of the raw (noisy) data
///     minus the known part: the baseline the learned U must beat.
///  4. The true missing terms (truth physics' known part minus the model's, -truth_*
///     options) are fitted on the same library: exact coefficients for comparison.
///  5. The recovered models (known part + recovered terms), the UDE itself and the truth
///     are integrated (RK4, step -discover_dt) from the trajectory's exact initial
///     state to -discover_extrapolate_to; errors are max_t |u - u_true| / max_t |u_true|.
///  6. The same from the exact initial state of every held-out (test) trajectory of the
///     dataset whose scenario differs from the training trajectory's (its initial
///     condition is not in the training data), with the error split into amplitude and
///     phase (discover/orbit.hpp); means over those initial states.
/// Output: <output_dir>/discover.h5 (trajectory, U learned/true, coefficients,
/// extrapolation curves) and the printed equations.  Everything is computed
/// redundantly on every rank (a few thousand flops), so any rank count gives the same.
#include <petscsys.h>

#include <Eigen/Dense>
#include <string>
#include <vector>

#include "udeflow/discover/orbit.hpp"

namespace udeflow::workflow {

struct DiscoverSummary {
  std::vector<std::string> names;      ///< library terms
  Eigen::MatrixXd learned, fd, truth;  ///< coefficients, terms x state components
  double u_error = 0;                  ///< max |U - U_true| / max |U_true| along the trajectory
  double extrap_learned = 0;           ///< relative max error of the recovered model
  double extrap_fd = 0;   ///< same for the finite-difference regression (inf: diverged)
  double extrap_ude = 0;  ///< same for the trained UDE (network)
  double horizon = 0;
  size_t heldout = 0;         ///< held-out initial states extrapolated from (step 6)
  size_t heldout_shared = 0;  ///< test trajectories skipped: same scenario as training
  discover::OrbitErrors heldout_learned, heldout_fd, heldout_ude;  ///< means over them
};

/// Runs the steps above with the options of the case.  Collective.
PetscErrorCode DiscoverCase(MPI_Comm comm, DiscoverSummary* summary);

}  // namespace udeflow::workflow
