#pragma once
/// \file fields.hpp
/// Field snapshots of any DMDA (1-D, 2-D, 3-D, any dof) to parallel HDF5 plus an XDMF
/// sidecar that ParaView opens as time series: used for training snapshots and by
/// tools and tests; the trajectory datasets (dataset.hpp) share the XDMF writer.
///
/// Layout: /<series>/frame_NNNNNN  [cells*fields] in natural order (x fastest, fields
/// interleaved), attributes time, grid, domain, origin, fields, units, layout.
/// The file is <path>.partial until Commit(), which also writes <path without .h5>.xmf
/// with one temporal collection per series.
#include <petscdm.h>

#include <string>
#include <vector>

#include "udeflow/io/dataset.hpp"
#include "udeflow/io/geometry.hpp"
#include "udeflow/io/hdf5.hpp"

namespace udeflow::io {

class FieldWriter {
 public:
  FieldWriter() = default;
  ~FieldWriter();
  FieldWriter(const FieldWriter&) = delete;
  FieldWriter& operator=(const FieldWriter&) = delete;
  /// Starts `path` for states of the DMDA `da` described by `geometry` (cell counts
  /// must match the DMDA).  Collective on the DMDA's communicator.
  PetscErrorCode Create(const std::string& path, DM da, const GridGeometry& geometry);
  /// Appends the global vector `u` at time `t` to `series`.  Collective.
  PetscErrorCode Write(const std::string& series, PetscReal t, Vec u);
  /// Closes the HDF5 file under its final name and writes the XDMF.  Collective.
  PetscErrorCode Commit();
  const std::string& Path() const { return path_; }

 private:
  H5File file_;
  DM da_ = nullptr;
  Vec natural_ = nullptr;
  GridGeometry geometry_;
  std::string path_;
  std::vector<XdmfSeries> series_;
};

/// "<dir>/x.h5" -> "<dir>/x.xmf".
std::string XdmfPathFor(const std::string& h5_path);

}  // namespace udeflow::io
