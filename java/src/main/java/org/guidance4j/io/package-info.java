/**
 * Reading and writing the files guidance4j meets: .safetensors checkpoints (memory-mapped,
 * validated, sliced without copying), NumPy .npy arrays, strict JSON and model config.json files,
 * and the layout of a model directory. Every malformed input ends in a {@link
 * org.guidance4j.io.FileFormatException} subclass whose message starts with the file's name;
 * nothing here allocates memory sized by a field it has not checked against the file's length.
 */
package org.guidance4j.io;
