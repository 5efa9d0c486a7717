// Where `kiln run` reads a dataset from: a directory of per-sample tensor files, an `.info` list,
// or one of those per model input; and reading one sample's tensor with its size checked.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "kiln/core/tensor.h"
#include "kiln/runtime/session.h"

namespace kiln::bench {

/// One sample: the stem its outputs are named after, and one file per model input (in the
/// order of the model's inputs).
struct DatasetSample {
  std::string stem;
  std::vector<std::filesystem::path> files;
};

/// The per-sample type of a model input or output: the session's signature without the batch
/// dimension.
TensorSignature sample_signature(const TensorSignature& batched);

/// Lists the samples named by `specs` for a model with `inputs` (batched signatures):
///  - "DIR": every `.bin`/`.npy` file in DIR, in name order (single-input models);
///  - "LIST.info": the files of an `index path width height` list, in its order; relative paths
///    are resolved against the list's directory (then the working directory, as the seeds'
///    lists are written relative to it);
///  - "NAME=DIR" / "NAME=LIST.info", one per input, for models with several inputs; samples are
///    matched by stem and every input must have the same stems.
/// A user error names the file, line or input that is wrong; an empty dataset is an error.
std::vector<DatasetSample> list_dataset(const std::vector<std::string>& specs,
                                        const std::vector<TensorSignature>& inputs);

/// True when `spec` names a dataset (a directory or an `.info` list) rather than one `.npy`.
bool is_dataset_spec(const std::string& spec);

/// Reads one sample of an input whose per-sample type is `sample`: a `.bin` must hold exactly
/// its bytes (raw, little-endian); an `.npy` must have its dtype and its shape (or the shape with
/// a leading 1). Messages name the input by `sample.name`.
Tensor read_sample(const std::filesystem::path& path, const TensorSignature& sample);

}  // namespace kiln::bench
