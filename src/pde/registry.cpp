#include "udeflow/core/options.hpp"
#include "udeflow/pde/advection.hpp"
#include "udeflow/pde/burgers.hpp"
#include "udeflow/pde/ocean_column.hpp"
#include "udeflow/pde/lotka_volterra.hpp"
#include "udeflow/pde/fisher_kpp.hpp"
#include "udeflow/pde/physics.hpp"

namespace udeflow::pde {

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
    return r;
  }();
  return registry;
}

PetscErrorCode PhysicsCreateFromOptions(MPI_Comm comm, const char* prefix, const char* default_type,
                                        std::unique_ptr<Physics>* physics) {
  PetscFunctionBeginUser;
  std::string type = default_type;
  PetscOptionsBegin(comm, prefix, "Physics", "physics");
  PetscCall(UdeOptionsChoice("-physics", "Physics (PDE discretization)", PhysicsRegistry().NameList(), &type, nullptr));
  PetscOptionsEnd();
  *physics = PhysicsRegistry().Create(type);
  PetscCall((*physics)->SetFromOptions(comm, prefix));
  PetscFunctionReturn(0);
}

}  // namespace udeflow::pde
