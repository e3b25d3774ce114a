# The same sources as CMakeLists.txt, for node-gyp (`npx node-gyp rebuild`): every
# native/kernels/*.cpp once per ISA, and the addon's own files. CI builds and tests this too so
# that it cannot drift from the CMake build.
{
  "variables": {
    "kernel_sources": ["<!@(node -p \"require('fs').readdirSync('native/kernels').filter((f) => f.endsWith('.cpp')).sort().map((f) => 'native/kernels/' + f).join(' ')\")"],
    "kernel_cflags": ["-O3", "-ffp-contract=off", "-fno-math-errno", "-fPIC", "-std=c++17"]
  },
  "target_defaults": {
    "defines": ["NAPI_VERSION=8", "NAPI_DISABLE_CPP_EXCEPTIONS"],
    "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
    "cflags_cc!": ["-fno-exceptions", "-std=gnu++17", "-std=gnu++20"],
    "cflags_cc": ["-std=c++17"]
  },
  "targets": [
    {
      "target_name": "kernels_scalar",
      "type": "static_library",
      "sources": ["<@(kernel_sources)"],
      "defines": ["FUSED_ISA_SCALAR"],
      "cflags_cc": ["<@(kernel_cflags)", "-fno-tree-vectorize"],
      "xcode_settings": { "OTHER_CPLUSPLUSFLAGS": ["<@(kernel_cflags)", "-fno-tree-vectorize"] }
    },
    {
      "target_name": "fused_optim",
      "sources": ["native/addon.cpp", "native/dispatch.cpp", "native/pool.cpp", "native/specs.cpp", "native/step.cpp", "native/unwrap.cpp"],
      "cflags_cc": ["-O2", "-fPIC"],
      "conditions": [
        ["OS=='linux'", {
          "ldflags": ["-Wl,-z,nodelete"]
        }],
        ["target_arch=='x64'", {
          "dependencies": ["kernels_scalar", "kernels_sse2", "kernels_avx2", "kernels_avx512", "kernels_avx512bf16"],
          "defines": ["FUSED_HAVE_AVX512BF16"]
        }],
        ["target_arch=='arm64'", {
          "dependencies": ["kernels_scalar", "kernels_neon"]
        }],
        ["target_arch!='x64' and target_arch!='arm64'", {
          "dependencies": ["kernels_scalar"]
        }]
      ]
    }
  ],
  "conditions": [
    ["target_arch=='x64'", {
      "targets": [
        {
          "target_name": "kernels_sse2",
          "type": "static_library",
          "sources": ["<@(kernel_sources)"],
          "defines": ["FUSED_ISA_SSE2"],
          "cflags_cc": ["<@(kernel_cflags)"],
      "xcode_settings": { "OTHER_CPLUSPLUSFLAGS": ["<@(kernel_cflags)"] }
        },
        {
          "target_name": "kernels_avx2",
          "type": "static_library",
          "sources": ["<@(kernel_sources)"],
          "defines": ["FUSED_ISA_AVX2"],
          "cflags_cc": ["<@(kernel_cflags)", "-mavx2", "-mfma"],
      "msvs_settings": { "VCCLCompilerTool": { "AdditionalOptions": ["/arch:AVX2"] } },
      "xcode_settings": { "OTHER_CPLUSPLUSFLAGS": ["<@(kernel_cflags)", "-mavx2", "-mfma"] }
        },
        {
          "target_name": "kernels_avx512",
          "type": "static_library",
          "sources": ["<@(kernel_sources)"],
          "defines": ["FUSED_ISA_AVX512"],
          "cflags_cc": ["<@(kernel_cflags)", "-mavx512f", "-mavx2", "-mfma"],
      "msvs_settings": { "VCCLCompilerTool": { "AdditionalOptions": ["/arch:AVX512"] } },
      "xcode_settings": { "OTHER_CPLUSPLUSFLAGS": ["<@(kernel_cflags)", "-mavx512f", "-mavx2", "-mfma"] }
        },
        {
          "target_name": "kernels_avx512bf16",
          "type": "static_library",
          "sources": ["<@(kernel_sources)"],
          "defines": ["FUSED_ISA_AVX512BF16"],
          "cflags_cc": ["<@(kernel_cflags)", "-mavx512f", "-mavx512bw", "-mavx512dq", "-mavx512vl", "-mavx512bf16", "-mavx2", "-mfma"],
      "msvs_settings": { "VCCLCompilerTool": { "AdditionalOptions": ["/arch:AVX512"] } },
      "xcode_settings": { "OTHER_CPLUSPLUSFLAGS": ["<@(kernel_cflags)", "-mavx512f", "-mavx512bw", "-mavx512dq", "-mavx512vl", "-mavx512bf16", "-mavx2", "-mfma"] }
        }
      ]
    }],
    ["target_arch=='arm64'", {
      "targets": [
        {
          "target_name": "kernels_neon",
          "type": "static_library",
          "sources": ["<@(kernel_sources)"],
          "defines": ["FUSED_ISA_NEON"],
          "cflags_cc": ["<@(kernel_cflags)"],
      "xcode_settings": { "OTHER_CPLUSPLUSFLAGS": ["<@(kernel_cflags)"] }
        }
      ]
    }]
  ]
}
