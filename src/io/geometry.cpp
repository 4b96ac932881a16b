#include "udeflow/io/geometry.hpp"

#include "udeflow/pde/physics.hpp"

namespace udeflow::io {

GridGeometry GridGeometry::FromPhysics(const pde::Physics& physics) {
  GridGeometry g;
  g.cells = physics.GridSize();
  g.length = physics.DomainLength();
  g.origin = physics.DomainOrigin();
  g.fields = physics.FieldNames();
  g.units = physics.FieldUnits();
  g.Complete();
  return g;
}

void GridGeometry::Complete() {
  origin.resize(cells.size(), 0.0);
  length.resize(cells.size(), 1.0);
  units.resize(fields.size(), "");
}

PetscInt GridGeometry::NumCells() const {
  PetscInt n = 1;
  for (PetscInt c : cells) n *= c;
  return n;
}

}  // namespace udeflow::io
