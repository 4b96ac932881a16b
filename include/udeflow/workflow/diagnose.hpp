#pragma once
/// \file diagnose.hpp
/// `udeflow diagnose`: the seed talk's warnings as measured numbers.
///
///  downwind  The advection case with -advection_limiter downwind (u_face = downwind
///            cell) run with the case's TS: prints the measured growth rate of ||u||
///            (least-squares slope of ln||u|| over the second half of the run) next to
///            the von Neumann prediction: the semi-discrete symbol
///            lambda(theta) = sum_d (|a_d|/h_d)(1 - cos theta_d) + i(...), max Re lambda =
///            sum_d 2|a_d|/h_d, and the fully discrete rate max_theta ln|R(dt lambda)|/dt
///            with R the stability function of the TS (rk tableaus, theta/cn/beuler).
///  reversal  The semi-discrete system integrated forward to T with classic RK4, then
///            backwards in time from u(T) (dv/ds = -f(T-s, v), the same RK4 and step),
///            as a "backsolve" adjoint would: prints ||u_back(t) - u_fwd(t)|| / ||u_fwd(t)||
///            over t for advection (the case's limited scheme) and viscous Burgers; then
///            the checkpointed exact adjoint's directional derivative of a trajectory
///            misfit against central finite differences for both (relative error).
///
/// Options: -diagnose_kind all|downwind|reversal, -diagnose_growth (target growth
/// exponent of the downwind run, sets its duration), -diagnose_seed (scenario),
/// -diagnose_reversal_time, -diagnose_reversal_dt, -diagnose_snapshots,
/// -diagnose_fd_h, -diagnose_model (trained limiter for the reversal and gradient check),
/// -diagnose_ic_kinds (advection shapes of the reversal and gradient check,
/// default gaussian,sine: square waves leave faces exactly on the q = 0 kink of the
/// limiter, where central differences measure a one-sided derivative), -diagnose_burgers
/// (also Burgers), -diagnose_burgers_time; the
/// Burgers model reads -diagnose_burgers_* / -diagnose_closure_* / -diagnose_ts_* /
/// -diagnose_adjoint_* (defaults: 64 cells, eta 0.01, sine initial condition, MLP
/// closure 8, RK4, dt 0.01, checkpointed adjoint).  Writes <output_dir>/diagnose.h5.
#include <petscsys.h>

#include <vector>

namespace udeflow::workflow {

struct DiagnoseResult {
  // downwind
  double growth_measured = 0, growth_semidiscrete = 0, growth_discrete = 0;
  std::vector<double> downwind_t, downwind_norm;
  // reversal: relative errors at times t (index 0 = t = 0, the end of the backward solve)
  std::vector<double> reversal_t, reversal_advection, burgers_t, reversal_burgers;
  double fd_error_advection = -1, fd_error_burgers = -1;
};

/// Runs the diagnostics chosen by -diagnose_kind on the case.  Collective.
PetscErrorCode Diagnose(MPI_Comm comm, DiagnoseResult* result);

}  // namespace udeflow::workflow
