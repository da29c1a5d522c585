package org.guidance4j.nn.adm;

import java.util.ArrayList;
import java.util.List;
import org.guidance4j.nn.Conv2d;
import org.guidance4j.nn.Weights;

/**
 * input_blocks and middle_block, shared by the U-Net and the classifier, built in
 * guided-diffusion's order so every block's key prefix matches the checkpoint.
 */
final class AdmEncoder {
  final List<TimestepBlock> inputBlocks = new ArrayList<>();
  final TimestepBlock middleBlock;
  /** Output channels of every input block, for the U-Net's skip connections. */
  final List<Long> skipChannels = new ArrayList<>();
  final long channels;
  final int downsampling;

  /** ResBlocks take their emb_layers from {@code projection} (joined by the caller once the network is built). */
  AdmEncoder(Weights w, EmbProjection projection, AdmConfig c) {
    long embDim = 4L * c.modelChannels();
    long ch = (long) (c.channelMult().getFirst() * c.modelChannels());
    Conv2d stem = Conv2d.load(w, "input_blocks.0.0", c.inChannels(), ch, 3, 1, 1);
    long stemChannels = ch;
    inputBlocks.add(new TimestepBlock() {
      @Override
      public org.guidance4j.core.Tensor forward(org.guidance4j.core.Tensor x, org.guidance4j.core.Tensor e) {
        return stem.forward(x);
      }

      @Override
      public long outChannels() {
        return stemChannels;
      }

      @Override
      public org.guidance4j.core.Tensor record(org.guidance4j.core.Tensor x, org.guidance4j.core.Tensor e, Tape tape) {
        long h = x.dim(2);
        long wd = x.dim(3);
        org.guidance4j.core.Tensor out = tape.keep(stem.forward(x));
        tape.push(dy -> stem.backwardInput(dy, h, wd));
        return out;
      }
    });
    skipChannels.add(ch);
    int ds = 1;
    List<Double> mult = c.channelMult();
    for (int level = 0; level < mult.size(); level++) {
      for (int i = 0; i < c.numResBlocks(); i++) {
        String p = "input_blocks." + inputBlocks.size();
        long out = (long) (mult.get(level) * c.modelChannels());
        List<TimestepBlock> layers = new ArrayList<>();
        layers.add(new ResBlock(w, projection, p + ".0", ch, embDim, out, c.useScaleShiftNorm(), ResBlock.Resample.NONE));
        ch = out;
        if (c.attentionDs().contains(ds)) {
          layers.add(new AttentionBlock(w, p + ".1", ch, c.numHeads(), c.numHeadChannels(), c.useNewAttentionOrder()));
        }
        inputBlocks.add(new Sequential(layers));
        skipChannels.add(ch);
      }
      if (level != mult.size() - 1) {
        String p = "input_blocks." + inputBlocks.size() + ".0";
        inputBlocks.add(
            c.resblockUpdown()
                ? new ResBlock(w, projection, p, ch, embDim, ch, c.useScaleShiftNorm(), ResBlock.Resample.DOWN)
                : Resample.down(w, p, ch, c.convResample()));
        skipChannels.add(ch);
        ds *= 2;
      }
    }
    middleBlock =
        new Sequential(
            List.of(
                new ResBlock(w, projection, "middle_block.0", ch, embDim, ch, c.useScaleShiftNorm(), ResBlock.Resample.NONE),
                new AttentionBlock(w, "middle_block.1", ch, c.numHeads(), c.numHeadChannels(), c.useNewAttentionOrder()),
                new ResBlock(w, projection, "middle_block.2", ch, embDim, ch, c.useScaleShiftNorm(), ResBlock.Resample.NONE)));
    channels = ch;
    downsampling = ds;
  }
}
