#include "advection.hpp"
#include "burgers.hpp"
#include "fisher_kpp.hpp"
#include "lotka_volterra.hpp"
#include "ocean_column.hpp"
#include "udeflow/core/options.hpp"
#include "udeflow/pde/physics.hpp"

namespace udeflow::pde {

std::unique_ptr<Physics> MakeReactionDiffusion();  // reaction_diffusion.cpp (the tutorial)

// The explicit list of physics (PETSc's TSRegisterAll pattern).
Registry<Physics>& PhysicsRegistry() {
  static Registry<Physics> registry = [] {
    Registry<Physics> r;
    r.Add("burgers", "1-D viscous Burgers, finite volumes, learned flux correction",
          [] { return std::make_unique<Burgers>(); });
    r.Add("advection", "1-D/2-D linear advection, finite volumes, flux limiter (fixed or learned)",
          [] { return std::make_unique<Advection>(); });
    r.Add("ocean_column", "ocean columns: convective adjustment + neural flux, or K-profile truth",
          [] { return std::make_unique<OceanColumn>(); });
    r.Add("lotka_volterra", "Lotka-Volterra ODE, learned interaction terms (state on one rank)",
          [] { return std::make_unique<LotkaVolterra>(); });
    r.Add("fisher_kpp", "Fisher-KPP reaction-diffusion (1-D/2-D), learned reaction and stencil",
          [] { return std::make_unique<FisherKpp>(); });
    r.Add("reaction_diffusion", "1-D reaction-diffusion, learned source", MakeReactionDiffusion);
    return r;
  }();
  return registry;
}

PetscErrorCode PhysicsCreateFromOptions(MPI_Comm comm, const char* prefix, const char* default_type,
                                        std::unique_ptr<Physics>* physics,
                                        const PhysicsDefaults& defaults) {
  PetscFunctionBeginUser;
  std::string type = default_type;
  PetscOptionsBegin(comm, prefix, "Physics", "physics");
  PetscCall(UdeOptionsChoice("-physics", "Physics (PDE discretization)",
                             PhysicsRegistry().NameList(), &type, nullptr));
  PetscOptionsEnd();
  *physics = PhysicsRegistry().Create(type);
  if (defaults) PetscCall(defaults(**physics));
  PetscCall((*physics)->SetFromOptions(comm, prefix));
  PetscFunctionReturn(0);
}

PetscErrorCode Physics::SetSchemeOption(const std::string& key, const std::string& value) {
  SETERRQ(PETSC_COMM_WORLD, PETSC_ERR_USER_INPUT, "option -%s: not a scheme option of physics %s",
          key.c_str(), Type());
}

PetscErrorCode Physics::AppendOfflineSamples(PetscReal, Vec, Vec, std::vector<double>*,
                                             std::vector<double>*, OfflineCheck*) {
  SETERRQ(PETSC_COMM_WORLD, PETSC_ERR_USER_INPUT,
          "option -train_mode offline: needs -physics ocean_column with -ocean_scheme ca and "
          "-closure_type mlp");
}

}  // namespace udeflow::pde
