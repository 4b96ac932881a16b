#include "udeflow/io/catalyst.hpp"

#include "udeflow/config.hpp"
#include "udeflow/core/options.hpp"

namespace udeflow::io {

PetscErrorCode CatalystFromOptions(MPI_Comm comm, std::string* script) {
  PetscFunctionBeginUser;
  PetscBool set = PETSC_FALSE;
  PetscOptionsBegin(comm, nullptr, "In-situ visualization", "catalyst");
  PetscCall(UdeOptionsString("-catalyst_script", "ParaView Catalyst Python pipeline", script, &set));
  PetscOptionsEnd();
#if !UDEFLOW_HAVE_CATALYST
  PetscCheck(!set, comm, PETSC_ERR_SUP,
             "option -catalyst_script: udeflow was built without ParaView Catalyst (install paraview-dev and "
             "rebuild); write fields to HDF5/XDMF instead");
#endif
  PetscFunctionReturn(0);
}

}  // namespace udeflow::io
