#include "udeflow/core/options.hpp"
#include "udeflow/pde/burgers.hpp"
#include "udeflow/pde/fisher_kpp.hpp"
#include "udeflow/pde/physics.hpp"

namespace udeflow::pde {

// The explicit list of physics (PETSc's TSRegisterAll pattern).
Registry<Physics>& PhysicsRegistry() {
  static Registry<Physics> registry = [] {
    Registry<Physics> r;
    r.Add("burgers", "1-D viscous Burgers, finite volumes, learned flux correction",
          [] { return std::make_unique<Burgers>(); });
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
