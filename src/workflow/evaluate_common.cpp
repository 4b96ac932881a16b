#include "evaluate_common.hpp"

#include <sstream>

#include "udeflow/core/session.hpp"

namespace udeflow::workflow {

PetscErrorCode CreateCaseModel(MPI_Comm comm, const ModelSettings& s, CaseModel* m) {
  PetscFunctionBeginUser;
  PetscCall(pde::PhysicsCreateFromOptions(comm, nullptr, s.default_type, &m->physics));
  if (!s.cells.empty()) PetscCall(m->physics->SetResolution(s.cells));
  if (!s.scheme_key.empty()) PetscCall(m->physics->SetSchemeOption(s.scheme_key, s.scheme_value));
  if (s.no_closure) {
    pde::ClosureConfig none = m->physics->GetClosureConfig();
    none.type = "none";
    m->physics->SetClosureConfig(none);
  }
  PetscCall(m->physics->SetUp());
  PetscCall(pde::BindInitialParams(*m->physics, &m->theta));
  m->integrator = std::make_unique<adjoint::Integrator>(m->physics.get());
  PetscCall(m->integrator->SetFromOptions(nullptr));
  if (s.dt > 0) PetscCall(m->integrator->SetTimeStep(s.dt));
  PetscFunctionReturn(0);
}

PetscErrorCode CaseTimeStep(const CaseModel& m, PetscReal* dt) {
  PetscFunctionBeginUser;
  PetscCall(TSGetTimeStep(m.integrator->Ts(), dt));
  PetscFunctionReturn(0);
}

PetscErrorCode OpenHeldOutData(MPI_Comm comm, const std::string& path,
                               const std::vector<pde::Physics*>& models, io::Dataset* data,
                               std::vector<size_t>* tests) {
  PetscFunctionBeginUser;
  PetscCall(data->Open(comm, path, "option -dataset"));
  for (pde::Physics* p : models) PetscCall(data->CheckCompatible(*p));
  tests->clear();
  for (size_t i = 0; i < data->Trajectories().size(); ++i)
    if (data->Trajectories()[i].split == "test") tests->push_back(i);
  PetscCheck(!tests->empty(), comm, PETSC_ERR_USER_INPUT, "dataset '%s' has no test trajectories",
             path.c_str());
  PetscFunctionReturn(0);
}

PetscErrorCode ForwardAllowingDivergence(adjoint::Integrator& integ, PetscReal t0, Vec u0,
                                         const std::vector<PetscReal>& times,
                                         adjoint::Observer* observer, bool* diverged) {
  PetscFunctionBeginUser;
  PetscReal total;
  PetscErrorCode ierr = integ.Forward(t0, u0, times, observer, &total);
  *diverged = ierr == PETSC_ERR_NOT_CONVERGED;
  if (*diverged)
    SessionClearError();
  else
    PetscCall(ierr);
  PetscFunctionReturn(0);
}

std::vector<std::string> SplitList(const std::string& text) {
  std::vector<std::string> items;
  std::stringstream ss(text);
  std::string item;
  while (std::getline(ss, item, ','))
    if (!item.empty()) items.push_back(item);
  return items;
}

}  // namespace udeflow::workflow
