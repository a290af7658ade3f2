// What the WebAssembly decoders share: fixed-width types and the export attribute. They are built
// freestanding (no C library): everything they need is in these files.
#ifndef SPICEDESK_WASM_COMMON_H
#define SPICEDESK_WASM_COMMON_H

typedef unsigned char u8;
typedef unsigned int u32;
typedef int i32;
typedef unsigned long long u64;

#define EXPORT(name) __attribute__((export_name(name)))

#endif
