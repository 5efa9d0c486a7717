#pragma once

#include <string>

#include "kiln/runtime/session.h"

namespace kiln {

/// What compiling the session's model did, for `kiln info --explain`: each pass run that changed
/// the graph with the node count after it, the remarks of rewrites that did not fire, and per
/// node its op with the post-ops fused into it, the ONNX nodes those came from, the kernel chosen
/// and why each faster kernel declined.
std::string explain_session(const Session& session);

}  // namespace kiln
