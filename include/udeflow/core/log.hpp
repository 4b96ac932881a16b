#pragma once
/// \file log.hpp
/// PETSc log events for every expensive phase, so that `-log_view` shows where the
/// time goes (closure, RHS, adjoint, checkpoints, I/O, BSDE).
#include <petsclog.h>

namespace udeflow {

struct LogEvents {
  static PetscClassId classid;
  static PetscLogEvent closure_forward;    ///< NN closure evaluation on a batch of points
  static PetscLogEvent closure_vjp;        ///< NN closure vector-Jacobian products
  static PetscLogEvent closure_jvp;        ///< NN closure Jacobian-vector products
  static PetscLogEvent rhs;                ///< physics right-hand side f(t,u;theta)
  static PetscLogEvent rhs_vjp;            ///< physics (df/du)^T w and (df/dtheta)^T w
  static PetscLogEvent rhs_jvp;            ///< physics (df/du) v
  static PetscLogEvent jacobian_assembly;  ///< assembled df/du for implicit methods
  static PetscLogEvent forward_solve;      ///< Integrator forward pass
  static PetscLogEvent adjoint_solve;      ///< Integrator backward pass (replay + TSAdjoint)
  static PetscLogEvent checkpoint_io;      ///< checkpoint store/restore (RAM or HDF5)
  static PetscLogEvent hdf5_write;         ///< dataset/field/training-state writes
  static PetscLogEvent hdf5_read;          ///< dataset/training-state reads
  static PetscLogEvent bsde_batch;         ///< BSDE forward/backward on a batch of paths
  static PetscLogEvent allreduce;          ///< gradient reductions over ranks
  static PetscLogEvent catalyst;           ///< ParaView Catalyst in-situ pipelines
};

/// Registers the events (idempotent).  Called by SessionInitialize; tests call it too.
PetscErrorCode LogEventsRegister();

}  // namespace udeflow
