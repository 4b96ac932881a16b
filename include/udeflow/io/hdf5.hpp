#pragma once
/// \file hdf5.hpp
/// A small RAII layer over parallel HDF5 (MPI-IO).  All calls are collective on the
/// file's communicator unless noted.  Files being written are created under
/// "<path>.partial" and renamed to <path> by Commit(); a file that is not committed
/// (an error, a crash of the run) is removed, so no half-written output is left.
/// Errors name the file and the object.
#include <hdf5.h>
#include <petscsys.h>

#include <string>
#include <vector>

namespace udeflow::io {

class H5File {
 public:
  H5File() = default;
  ~H5File();
  H5File(const H5File&) = delete;
  H5File& operator=(const H5File&) = delete;

  /// Creates a new file for writing (truncating any previous one at Commit()).
  static PetscErrorCode Create(MPI_Comm comm, const std::string& path, H5File* file);
  /// Opens an existing file read-only; a missing or unreadable file is a user error
  /// naming `what` (e.g. "option -dataset").
  static PetscErrorCode Open(MPI_Comm comm, const std::string& path, const char* what,
                             H5File* file);
  /// Closes a file being written and moves it to its final name.
  PetscErrorCode Commit();
  /// Closes without committing (removes a partial file).
  PetscErrorCode Close();

  bool IsOpen() const { return fid_ >= 0; }
  const std::string& Path() const { return path_; }
  MPI_Comm Comm() const { return comm_; }

  bool Exists(const std::string& object) const;
  PetscErrorCode CreateGroup(const std::string& group);

  // Attributes on an object (group or dataset); "/" is the file root.
  PetscErrorCode WriteAttr(const std::string& object, const char* name, double value);
  PetscErrorCode WriteAttr(const std::string& object, const char* name, long long value);
  PetscErrorCode WriteAttr(const std::string& object, const char* name, const std::string& value);
  PetscErrorCode ReadAttr(const std::string& object, const char* name, double* value) const;
  PetscErrorCode ReadAttr(const std::string& object, const char* name, long long* value) const;
  PetscErrorCode ReadAttr(const std::string& object, const char* name, std::string* value) const;
  bool HasAttr(const std::string& object, const char* name) const;

  /// Small replicated arrays: every rank passes the same data; rank 0 writes.
  PetscErrorCode WriteArray(const std::string& path, const std::vector<hsize_t>& dims,
                            const double* data);
  /// Reads a whole dataset on every rank.
  PetscErrorCode ReadArray(const std::string& path, std::vector<hsize_t>* dims,
                           std::vector<double>* data) const;

  /// Distributed datasets: create with global dims, then each rank writes/reads its
  /// hyperslab (offset, count; a rank may pass count 0).
  PetscErrorCode CreateDataset(const std::string& path, const std::vector<hsize_t>& dims);
  PetscErrorCode WriteSlab(const std::string& path, const std::vector<hsize_t>& offset,
                           const std::vector<hsize_t>& count, const double* data);
  PetscErrorCode ReadSlab(const std::string& path, const std::vector<hsize_t>& offset,
                          const std::vector<hsize_t>& count, double* data) const;
  PetscErrorCode Dims(const std::string& path, std::vector<hsize_t>* dims) const;

 private:
  MPI_Comm comm_ = MPI_COMM_NULL;
  hid_t fid_ = -1;
  std::string path_, write_path_;
  bool writing_ = false;
};

/// Turns off HDF5's own error-stack printing (udeflow reports errors itself).
void Hdf5Quiet();

}  // namespace udeflow::io
