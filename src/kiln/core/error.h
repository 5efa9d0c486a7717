#pragma once

#include <fmt/format.h>

#include <exception>
#include <string>
#include <utility>
#include <vector>

namespace kiln {

/// Who is at fault: the user's input (bad file, bad argument) or kiln itself (a broken invariant).
enum class ErrorKind { kUser, kInternal };

/// The one exception type of kiln. It carries a kind and a chain of context added on the way up
/// ("while importing node 'conv1' (Conv)"), so the CLI can print one line that says where and what.
class Error : public std::exception {
 public:
  Error(ErrorKind kind, std::string message);

  ErrorKind kind() const { return kind_; }
  /// The innermost message, without context.
  const std::string& message() const { return message_; }
  /// Context frames, innermost first.
  const std::vector<std::string>& context() const { return context_; }

  /// Adds an outer context frame; returns *this so `throw e.add_context(...)` reads naturally.
  Error& add_context(std::string frame);

  /// "outer: inner: message", the one line the CLI prints.
  const char* what() const noexcept override { return full_.c_str(); }

 private:
  void rebuild();

  ErrorKind kind_;
  std::string message_;
  std::vector<std::string> context_;
  std::string full_;
};

/// Throws a user error with a fmt-formatted message.
template <typename... Args>
[[noreturn]] void throw_user_error(fmt::format_string<Args...> format, Args&&... args) {
  throw Error(ErrorKind::kUser, fmt::format(format, std::forward<Args>(args)...));
}

/// Throws an internal error with a fmt-formatted message.
template <typename... Args>
[[noreturn]] void throw_internal_error(fmt::format_string<Args...> format, Args&&... args) {
  throw Error(ErrorKind::kInternal, fmt::format(format, std::forward<Args>(args)...));
}

/// Runs `body`; a kiln::Error escaping it gets `frame()` added as context. Other exceptions
/// (std::bad_alloc, library errors) are wrapped as internal errors with the same context.
template <typename Body, typename Frame>
decltype(auto) with_context(Frame&& frame, Body&& body) {
  try {
    return body();
  } catch (Error& e) {
    e.add_context(frame());
    throw;
  } catch (const std::bad_alloc&) {
    throw Error(ErrorKind::kUser, "out of memory").add_context(frame());
  } catch (const std::exception& e) {
    throw Error(ErrorKind::kInternal, e.what()).add_context(frame());
  }
}

}  // namespace kiln

/// Checks an invariant of kiln's own code; never use it for user input.
#define KILN_CHECK(cond, ...)                                                                 \
  do {                                                                                        \
    if (!(cond)) {                                                                            \
      ::kiln::throw_internal_error("{}:{}: check '{}' failed: {}", __FILE__, __LINE__, #cond, \
                                   ::fmt::format(__VA_ARGS__));                               \
    }                                                                                         \
  } while (false)
