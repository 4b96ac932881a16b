#include "udeflow/core/log.hpp"

namespace udeflow {

PetscClassId LogEvents::classid = 0;
PetscLogEvent LogEvents::closure_forward = 0;
PetscLogEvent LogEvents::closure_vjp = 0;
PetscLogEvent LogEvents::closure_jvp = 0;
PetscLogEvent LogEvents::rhs = 0;
PetscLogEvent LogEvents::rhs_vjp = 0;
PetscLogEvent LogEvents::rhs_jvp = 0;
PetscLogEvent LogEvents::jacobian_assembly = 0;
PetscLogEvent LogEvents::forward_solve = 0;
PetscLogEvent LogEvents::adjoint_solve = 0;
PetscLogEvent LogEvents::checkpoint_io = 0;
PetscLogEvent LogEvents::hdf5_write = 0;
PetscLogEvent LogEvents::hdf5_read = 0;
PetscLogEvent LogEvents::bsde_batch = 0;
PetscLogEvent LogEvents::allreduce = 0;
PetscLogEvent LogEvents::catalyst = 0;

PetscErrorCode LogEventsRegister() {
  PetscFunctionBeginUser;
  if (LogEvents::classid) PetscFunctionReturn(0);
  PetscCall(PetscClassIdRegister("udeflow", &LogEvents::classid));
  const PetscClassId c = LogEvents::classid;
  PetscCall(PetscLogEventRegister("UdeClosureFwd", c, &LogEvents::closure_forward));
  PetscCall(PetscLogEventRegister("UdeClosureVJP", c, &LogEvents::closure_vjp));
  PetscCall(PetscLogEventRegister("UdeClosureJVP", c, &LogEvents::closure_jvp));
  PetscCall(PetscLogEventRegister("UdeRHS", c, &LogEvents::rhs));
  PetscCall(PetscLogEventRegister("UdeRHSVJP", c, &LogEvents::rhs_vjp));
  PetscCall(PetscLogEventRegister("UdeRHSJVP", c, &LogEvents::rhs_jvp));
  PetscCall(PetscLogEventRegister("UdeJacAssembly", c, &LogEvents::jacobian_assembly));
  PetscCall(PetscLogEventRegister("UdeForward", c, &LogEvents::forward_solve));
  PetscCall(PetscLogEventRegister("UdeAdjoint", c, &LogEvents::adjoint_solve));
  PetscCall(PetscLogEventRegister("UdeCheckpointIO", c, &LogEvents::checkpoint_io));
  PetscCall(PetscLogEventRegister("UdeHDF5Write", c, &LogEvents::hdf5_write));
  PetscCall(PetscLogEventRegister("UdeHDF5Read", c, &LogEvents::hdf5_read));
  PetscCall(PetscLogEventRegister("UdeBSDEBatch", c, &LogEvents::bsde_batch));
  PetscCall(PetscLogEventRegister("UdeAllreduce", c, &LogEvents::allreduce));
  PetscCall(PetscLogEventRegister("UdeCatalyst", c, &LogEvents::catalyst));
  PetscFunctionReturn(0);
}

}  // namespace udeflow
