// Substring checks for reasons and advice, without gmock, which the unit-test build does not
// link: EXPECT_CONTAINS(text, part) and EXPECT_LACKS(text, part) print the whole text on failure.
#pragma once

#include <string>

#include <gtest/gtest.h>

namespace text_assertions {

inline ::testing::AssertionResult text_contains(const char *text_expression, const char *,
                                                const std::string &text, const std::string &part) {
    if (text.find(part) != std::string::npos) return ::testing::AssertionSuccess();
    return ::testing::AssertionFailure()
           << text_expression << " lacks \"" << part << "\":\n  " << text;
}

inline ::testing::AssertionResult text_lacks(const char *text_expression, const char *,
                                             const std::string &text, const std::string &part) {
    if (text.find(part) == std::string::npos) return ::testing::AssertionSuccess();
    return ::testing::AssertionFailure()
           << text_expression << " has \"" << part << "\":\n  " << text;
}

}  // namespace text_assertions

#define EXPECT_CONTAINS(text, part) \
    EXPECT_PRED_FORMAT2(::text_assertions::text_contains, text, part)
#define EXPECT_LACKS(text, part) EXPECT_PRED_FORMAT2(::text_assertions::text_lacks, text, part)
