// Copying C++ strings into the fixed buffers of plain rows: the rows outlive the C++ objects
// (which are gone before PostgreSQL may raise an error) and need no destructor.
#pragma once

#include <cstddef>
#include <cstring>
#include <string>

namespace poolopt::pg {

// Copies `text` into out[size], cut if needed at a UTF-8 character boundary (the reasons
// hold "×", "→", "·"), never in the middle of a character.
inline void copy_text(char *out, size_t size, const std::string &text) {
    if (size == 0) return;
    size_t length = text.size() < size - 1 ? text.size() : size - 1;
    if (length < text.size()) {
        // Back up over continuation bytes (10xxxxxx) to the start of the cut character.
        while (length > 0 && (static_cast<unsigned char>(text[length]) & 0xC0) == 0x80) --length;
    }
    std::memcpy(out, text.data(), length);
    out[length] = '\0';
}

}  // namespace poolopt::pg
