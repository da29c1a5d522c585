// The input gradient of 2x2 average pooling: one thread per dx element takes a quarter of its
// window's gradient; a dropped odd last row or column gets 0.
#include "common.cuh"

namespace g4j {
namespace cuda {
namespace {

template <typename T>
__global__ void avg_pool2x2_backward_kernel(int64_t height, int64_t width, int64_t total,
                                            const T* dy, T* dx) {
  const int64_t out_h = height / 2, out_w = width / 2;
  for (int64_t i = global_thread(); i < total; i += grid_threads()) {
    const int64_t x = i % width;
    const int64_t r = i / width;
    const int64_t y = r % height;
    const int64_t plane = r / height;
    float g = 0.0f;
    if (y < 2 * out_h && x < 2 * out_w) {
      g = 0.25f * to_f32(dy[(plane * out_h + y / 2) * out_w + x / 2]);
    }
    dx[i] = from_f32<T>(g);
  }
}

template <typename T>
void launch_avg_pool2x2_backward(cudaStream_t stream, const AvgPoolBackwardArgs& a) {
  const int64_t total = a.planes * a.height * a.width;
  avg_pool2x2_backward_kernel<T><<<grid_for(total), kElementwiseThreads, 0, stream>>>(
      a.height, a.width, total, static_cast<const T*>(a.dy), static_cast<T*>(a.dx));
  LAUNCH_CHECK();
}

}  // namespace

void avg_pool2x2_backward(Stream s, const AvgPoolBackwardArgs& a) {
  if (a.planes <= 0 || a.height <= 0 || a.width <= 0) return;
  dispatch_dtype(a.dtype, [&](auto tag) {
    launch_avg_pool2x2_backward<typename decltype(tag)::type>(as_cuda(s), a);
  });
}

}  // namespace cuda
}  // namespace g4j
