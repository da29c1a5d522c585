package org.guidance4j.core;

import org.guidance4j.bindings.guidance4j_h;

/** How q, k and v of each head are laid out in the (B, 3*H*D, T) qkv tensor of an attention op. */
public enum QkvLayout {
  /** guided-diffusion QKVAttentionLegacy: per head [q | k | v], i.e. (B, H*3*D, T). */
  LEGACY(guidance4j_h.G4J_QKV_LEGACY()),
  /** guided-diffusion QKVAttention (use_new_attention_order): [q | k | v] over all heads. */
  NEW_ORDER(guidance4j_h.G4J_QKV_NEW_ORDER()),
  /** EDM2: (B, H*D*3, T) viewed as (B, H, D, 3, T). */
  EDM2(guidance4j_h.G4J_QKV_EDM2());

  private final int code;

  QkvLayout(int code) {
    this.code = code;
  }

  /** The g4j_qkv_layout value. */
  public int code() {
    return code;
  }
}
