#pragma once
/// \file catalyst.hpp
/// In-situ visualization with ParaView Catalyst (legacy vtkCPProcessor API of ParaView
/// 5.x as Debian ships it).  Each rank hands its own piece of the DMDA state to
/// Catalyst as a vtkImageData (its cell extent, the whole extent, origin and spacing
/// from the physics' geometry; cell data named after the fields).  A single-component
/// state is passed zero-copy (the VTK array wraps the Vec's array); with several
/// components each field is copied into a reused buffer.
///
/// Options (read by Create):
///   -catalyst_script a.py[,b.py]  ParaView Catalyst Python pipelines (legacy scripts
///                                 defining RequestDataDescription/DoCoProcessing, or
///                                 ParaView 5.9+ "v2" scripts)
///   -catalyst_vti                 built-in pipeline without Python: writes the pieces
///                                 as <output>/<run>_<step>.pvti (+ one .vti per rank)
///   -catalyst_every K             every K time steps (default 1; given alone: the built-in
///   pipeline) -catalyst_output dir          output directory for the built-in pipeline and for
///                                 scripts (passed as user data "output"; default catalyst)
/// Built without Catalyst (cmake -DUDEFLOW_WITH_CATALYST=OFF, or AUTO without
/// paraview-dev), any of these options is a user error "built without ParaView Catalyst".
/// One Catalyst session per process (ParaView's processor cannot be re-initialized).
/// Time spent in Catalyst is logged as event UdeCatalyst and reported by Report().
#include <petscdm.h>
#include <petscsys.h>
#include <petscvec.h>

#include <memory>
#include <string>

#include "udeflow/io/geometry.hpp"

namespace udeflow::io {

class Catalyst {
 public:
  ~Catalyst();
  /// Reads the options above on `comm` (the communicator of the grid); *out is null
  /// when no Catalyst option is given.  Collective.
  static PetscErrorCode Create(MPI_Comm comm, std::unique_ptr<Catalyst>* out);
  /// Names the run (trajectory) of the following steps; used in output file names and
  /// passed to scripts as user data "run".
  void SetRun(const std::string& run) { run_ = run; }
  /// Offers the state `u` (a global vector of the DMDA `da`, with `geometry`) at time
  /// step `step` and time `t`; runs the pipelines when one of them asks for this step
  /// (`force`: always).  Collective on the DMDA's communicator.
  PetscErrorCode Execute(DM da, const GridGeometry& geometry, PetscInt step, PetscReal t, Vec u,
                         bool force = false);
  /// Seconds spent in Catalyst so far (this rank) and number of executed steps.
  double Seconds() const { return seconds_; }
  long Executions() const { return executions_; }
  /// Prints Catalyst's time and its share of `total_seconds`.  Collective.
  PetscErrorCode Report(double total_seconds) const;
  const std::string& OutputDir() const { return output_; }

 private:
  Catalyst() = default;
  struct Impl;
  std::unique_ptr<Impl> impl_;
  MPI_Comm comm_ = MPI_COMM_NULL;
  std::string output_ = "catalyst", run_ = "run";
  PetscInt every_ = 1;
  double seconds_ = 0;
  long executions_ = 0;
};

/// Checks the Catalyst options without creating anything (for commands that do not
/// use Catalyst): a given option is refused when udeflow was built without Catalyst.
/// `script` receives -catalyst_script.  Collective.
PetscErrorCode CatalystFromOptions(MPI_Comm comm, std::string* script);

}  // namespace udeflow::io
