// Helpers the lib/model tests share.
#ifndef ATTN_LIB_MODEL_TEST_HELPERS_H_
#define ATTN_LIB_MODEL_TEST_HELPERS_H_

#include <cstdlib>
#include <string>

#include "absl/strings/string_view.h"
#include "gtest/gtest.h"

namespace attn::model {

// EXPECT_TRUE(Contains(status.message(), "part")) prints both when the part is missing.
inline ::testing::AssertionResult Contains(absl::string_view text, absl::string_view part) {
  if (text.find(part) != absl::string_view::npos) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "\"" << text << "\" lacks \"" << part << "\"";
}

// A path in the test's private temporary folder.
inline std::string TempPath(const std::string& name) { return std::string(std::getenv("TEST_TMPDIR")) + "/" + name; }

}  // namespace attn::model

#endif  // ATTN_LIB_MODEL_TEST_HELPERS_H_
