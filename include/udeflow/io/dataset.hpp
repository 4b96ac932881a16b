#pragma once
/// \file dataset.hpp
/// Trajectory datasets: time series of fields, one group per trajectory, in one HDF5
/// file (written in parallel), with an XDMF companion that ParaView opens.
///
/// Layout (format "udeflow-trajectories-1"):
///   /                      attrs: format, physics, fields (comma list), grid (cells,
///                          comma list), domain (lengths), description
///   /traj_NNNN/            attrs: name, split ("train" | "test"), seed
///   /traj_NNNN/t           [nt] snapshot times
///   /traj_NNNN/scenario    [m]  the physics' scenario (forcing coefficients...)
///   /traj_NNNN/state       [nt, cells*fields] in natural (x fastest, fields
///                          interleaved) order
/// Reading coarse-grains to the reader's grid by cell averaging over blocks of fine
/// cells when the file's grid is an integer multiple of it in every dimension (1-D, 2-D,
/// 3-D; e.g. a fine truth, or the fine levels of ocean columns -> coarse model).
#include <petscdm.h>

#include <string>
#include <vector>

#include "udeflow/io/geometry.hpp"
#include "udeflow/io/hdf5.hpp"
#include "udeflow/pde/physics.hpp"

namespace udeflow::io {

struct TrajectoryInfo {
  std::string group, name, split;
  long long seed = 0;
};

/// A vector in natural order (x fastest, fields interleaved) for `dm`: the DMDA's
/// natural vector, or for other DMs (the DMREDUNDANT of ODE states, whose global order
/// is natural) a vector of the global layout.  Collective.
PetscErrorCode CreateNaturalVector(DM dm, Vec* natural);
/// natural = global in natural order.  Collective.
PetscErrorCode GlobalToNatural(DM dm, Vec global, Vec natural);

class DatasetWriter {
 public:
  /// Starts `path` (as path.partial until Commit()).  Collective.
  PetscErrorCode Create(MPI_Comm comm, const std::string& path, pde::Physics& physics,
                        const std::string& description);
  /// Starts a new trajectory with `nt` = times.size() snapshots.
  PetscErrorCode BeginTrajectory(const std::string& name, const std::string& split, long long seed,
                                 const pde::Scenario& scenario,
                                 const std::vector<PetscReal>& times);
  /// Writes snapshot k of the current trajectory.  Collective.
  PetscErrorCode WriteState(PetscInt k, Vec u);
  /// Closes the file under its final name and writes <path without .h5>.xmf.
  PetscErrorCode Commit();
  /// Closes without committing: the partial file is removed, nothing is left behind.
  PetscErrorCode Discard();
  ~DatasetWriter();

 private:
  H5File file_;
  pde::Physics* physics_ = nullptr;
  Vec natural_ = nullptr;
  std::vector<TrajectoryInfo> trajs_;
  std::vector<std::vector<PetscReal>> times_;
  std::string current_;
};

class Dataset {
 public:
  /// Opens a dataset; `what` names the option for error messages ("option -dataset").
  PetscErrorCode Open(MPI_Comm comm, const std::string& path, const char* what);
  /// Checks that the file holds this physics, fields and domain, and that its grid is a
  /// multiple of the physics' grid.  A mismatch is a user error naming the file.
  PetscErrorCode CheckCompatible(const pde::Physics& physics) const;

  const std::vector<TrajectoryInfo>& Trajectories() const { return trajs_; }
  PetscErrorCode ReadTimes(size_t traj, std::vector<PetscReal>* t) const;
  PetscErrorCode ReadScenario(size_t traj, pde::Scenario* scenario) const;
  /// Snapshot k of trajectory `traj`, cell-averaged onto the physics' grid.  A
  /// non-finite value is an error naming the file, trajectory and snapshot.
  PetscErrorCode ReadState(size_t traj, PetscInt k, pde::Physics& physics, Vec u) const;
  const std::string& Path() const { return file_.Path(); }
  const std::vector<PetscInt>& Grid() const { return grid_; }

 private:
  H5File file_;
  std::vector<TrajectoryInfo> trajs_;
  std::string physics_, fields_;
  std::vector<PetscInt> grid_;
  std::vector<PetscReal> domain_;
};

/// XDMF (for ParaView) describing time series stored as [nt, cells*fields] datasets
/// (natural order: x fastest, fields interleaved), or as one [cells*fields] dataset per
/// time (`frames`).
struct XdmfSeries {
  std::string name;     ///< grid name shown in ParaView
  std::string dataset;  ///< HDF5 path of the [nt, cells*fields] dataset
  std::vector<PetscReal> times;
  std::vector<std::string>
      frames;  ///< if not empty: HDF5 path of each time's [cells*fields] dataset
};
/// Writes `xmf_path` (rank 0) referring to `h5_name` (relative to the .xmf): a
/// temporal collection per series on a 2DCoRectMesh (1-D: one row of square cells;
/// 2-D) or 3DCoRectMesh (3-D) with the geometry's origin and spacing, one cell-centred
/// attribute per field with its units as an Information element.  Collective.
PetscErrorCode WriteXdmf(MPI_Comm comm, const std::string& xmf_path, const std::string& h5_name,
                         const GridGeometry& geometry, const std::vector<XdmfSeries>& series);
/// As above with origin 0 and no units.
PetscErrorCode WriteXdmf(MPI_Comm comm, const std::string& xmf_path, const std::string& h5_name,
                         const std::vector<PetscInt>& grid, const std::vector<PetscReal>& domain,
                         const std::vector<std::string>& fields,
                         const std::vector<XdmfSeries>& series);
/// Attributes origin and units (comma lists) on `object`, and for a field dataset also
/// grid, domain, fields and layout, so that a file is self-describing.
PetscErrorCode WriteGeometryAttrs(H5File& file, const std::string& object,
                                  const GridGeometry& geometry);

}  // namespace udeflow::io
