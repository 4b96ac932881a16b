#pragma once
/// \file geometry.hpp
/// What a field file needs to know about a grid: cell counts, physical lengths and
/// lower corner per dimension (x first; 1, 2 or 3 dimensions), and the names and units
/// of the state components.  Taken from a Physics, or filled in directly (tests, tools).
#include <petscsys.h>

#include <string>
#include <vector>

namespace udeflow::pde {
class Physics;
}

namespace udeflow::io {

struct GridGeometry {
  std::vector<PetscInt> cells;      ///< global cells per dimension
  std::vector<PetscReal> length;    ///< domain length per dimension
  std::vector<PetscReal> origin;    ///< lower corner per dimension
  std::vector<std::string> fields;  ///< component names (dof of the DMDA)
  std::vector<std::string> units;   ///< component units ("" if none)

  /// Geometry of `physics` (GridSize, DomainLength, DomainOrigin, FieldNames, FieldUnits).
  static GridGeometry FromPhysics(const pde::Physics& physics);
  /// Missing origins/units filled with defaults (0, "").
  void Complete();
  PetscInt Dim() const { return static_cast<PetscInt>(cells.size()); }
  PetscInt NumCells() const;
  PetscReal Spacing(size_t d) const { return length[d] / static_cast<PetscReal>(cells[d]); }
};

}  // namespace udeflow::io
