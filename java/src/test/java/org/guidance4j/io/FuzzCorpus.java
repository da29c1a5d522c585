package org.guidance4j.io;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;

/**
 * The committed fuzz corpus (src/test/resources/fuzz/corpus): for each reader its inputs with the
 * outcome each had when the corpus was made (accepted or refused). Inputs are seed
 * files, the regression cases and seeded mutations of both. {@link #main} regenerates it
 * (deterministically); {@code FuzzCorpusTest} replays it in every build.
 */
final class FuzzCorpus {
  private FuzzCorpus() {}

  static final String DIR = "/fuzz/corpus/";
  static final List<String> READERS = List.of("safetensors", "npy", "config");
  private static final long SEED = 0x14_2025L;

  /** The reader under test: true = accepted, false = refused (with its own exception), else it throws. */
  static Predicate<byte[]> check(String reader) {
    return switch (reader) {
      case "safetensors" -> FuzzChecks::safetensors;
      case "npy" -> FuzzChecks::npy;
      case "config" -> FuzzChecks::modelConfig;
      default -> throw new IllegalArgumentException(reader);
    };
  }

  /**
   * Regenerates the corpus under {@code args[0]} (default: the source tree's resources): one
   * gzip stream per reader of records (name length u16, name, outcome byte 1 accepted / 0
   * refused, data length u32, data), gzip being what makes thousands of similar inputs small.
   */
  public static void main(String[] args) throws IOException {
    Path out = Path.of(args.length > 0 ? args[0] : "src/test/resources/fuzz/corpus");
    Files.createDirectories(out);
    for (String reader : READERS) {
      Map<String, byte[]> cases = cases(reader);
      int accepted = 0;
      try (DataOutputStream data = new DataOutputStream(new GZIPOutputStream(Files.newOutputStream(out.resolve(reader + ".gz"))))) {
        for (Map.Entry<String, byte[]> c : cases.entrySet()) {
          boolean ok = check(reader).test(c.getValue());
          accepted += ok ? 1 : 0;
          byte[] name = c.getKey().getBytes(StandardCharsets.UTF_8);
          data.writeShort(name.length);
          data.write(name);
          data.writeByte(ok ? 1 : 0);
          data.writeInt(c.getValue().length);
          data.write(c.getValue());
        }
      }
      System.out.println(reader + ": " + cases.size() + " cases, " + accepted + " accepted");
    }
  }

  /** One committed case: its input and the outcome recorded when the corpus was made. */
  record Case(String name, byte[] input, boolean accepted) {}

  /** The committed cases of {@code reader}, in order. */
  static List<Case> read(String reader) throws IOException {
    List<Case> out = new ArrayList<>();
    try (InputStream raw = FuzzCorpus.class.getResourceAsStream(DIR + reader + ".gz")) {
      if (raw == null) {
        throw new IllegalStateException("missing fuzz corpus " + DIR + reader + ".gz");
      }
      DataInputStream data = new DataInputStream(new GZIPInputStream(raw));
      while (true) {
        int nameLength;
        try {
          nameLength = data.readUnsignedShort();
        } catch (EOFException end) {
          break;
        }
        byte[] name = data.readNBytes(nameLength);
        boolean accepted = data.readByte() == 1;
        byte[] input = data.readNBytes(data.readInt());
        out.add(new Case(new String(name, StandardCharsets.UTF_8), input, accepted));
      }
    }
    return out;
  }

  static Map<String, byte[]> cases(String reader) {
    Map<String, byte[]> seeds = seeds(reader);
    Map<String, byte[]> out = new LinkedHashMap<>(seeds);
    Random random = new Random(SEED ^ reader.hashCode());
    List<String> names = new ArrayList<>(seeds.keySet());
    int count = switch (reader) {
      case "safetensors" -> 2000;
      case "npy" -> 1500;
      default -> 2000;
    };
    int headerAt = switch (reader) {
      case "safetensors" -> 8;
      case "npy" -> -1;
      default -> 0;
    };
    for (int i = 0; out.size() < count + seeds.size() && i < 10 * count; i++) {
      String seed = names.get(random.nextInt(names.size()));
      // the one large seed (a real U-Net's header) gets few mutations, to keep the corpus small
      if (seed.contains("digits-unet-structure") && random.nextInt(8) != 0) {
        continue;
      }
      byte[] input = seeds.get(seed);
      int rounds = 1 + random.nextInt(3);
      StringBuilder how = new StringBuilder();
      for (int r = 0; r < rounds; r++) {
        if (reader.equals("config") && random.nextBoolean()) {
          input = replaceValue(input, random);
          how.append('v');
        } else {
          input = Mutator.mutate(input, headerAt, random);
          how.append('m');
        }
      }
      out.put(String.format("%05d-%s-%s", out.size(), how, strip(seed)), input);
    }
    return out;
  }

  private static String strip(String seed) {
    return seed.replaceFirst("^seed-", "").replaceAll("[^A-Za-z0-9_.-]", "_");
  }

  private static Map<String, byte[]> seeds(String reader) {
    Map<String, byte[]> s = new LinkedHashMap<>();
    switch (reader) {
      case "safetensors" -> {
        int i = 0;
        for (byte[] b : MutationFuzzTest.safetensorsSeeds()) {
          s.put("seed-writer-" + i++, b);
        }
        s.put("seed-digits-unet-structure", structureOf("/fuzz/digits-unet-header.json"));
        // issue 14: a header length 1 to 3 bytes short (the JSON ends in padding spaces)
        byte[] padded = TestBytes.safetensors("{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}   ", 8);
        s.put("seed-padded", padded);
        for (int k = 1; k <= 3; k++) {
          byte[] b = padded.clone();
          java.nio.ByteBuffer.wrap(b).order(java.nio.ByteOrder.LITTLE_ENDIAN).putLong(0, padded.length - 16 - k);
          s.put("seed-header-" + k + "-short", b);
        }
        s.put("seed-hole", TestBytes.safetensors(
            "{\"a\":{\"dtype\":\"U8\",\"shape\":[2],\"data_offsets\":[0,2]},\"b\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[4,5]}}", 5));
        s.put("seed-trailing", TestBytes.safetensors("{\"a\":{\"dtype\":\"U8\",\"shape\":[2],\"data_offsets\":[0,2]}}", 6));
      }
      case "npy" -> {
        int i = 0;
        for (byte[] b : MutationFuzzTest.npySeeds()) {
          s.put("seed-npy-" + i++, b);
        }
      }
      default -> {
        byte[] unet = resource("/fuzz/digits-unet-config.json");
        s.put("seed-digits-unet", unet);
        s.put("seed-digits-classifier", resource("/fuzz/digits-classifier-config.json"));
        s.put("seed-edm2", resource("/fixtures/edm2/cond_a/config.json"));
        s.put("seed-adm-fixture", resource("/fixtures/adm/unet_c/config.json"));
        // issue 14's config cases
        String u = new String(unet, StandardCharsets.UTF_8);
        s.put("seed-channel-mult-x", u.replace("\"channel_mult\": \"1,1\"", "\"channel_mult\": \"1,x\"").getBytes(StandardCharsets.UTF_8));
        s.put("seed-negative-channels", u.replace("\"num_channels\": 64", "\"num_channels\": -64").getBytes(StandardCharsets.UTF_8));
        s.put("seed-huge-diffusion-steps",
            u.replace("\"diffusion_steps\": 1000", "\"diffusion_steps\": 1000000000").getBytes(StandardCharsets.UTF_8));
        String c = new String(resource("/fuzz/digits-classifier-config.json"), StandardCharsets.UTF_8);
        s.put("seed-classifier-pool-bogus",
            c.replace("\"classifier_pool\": \"attention\"", "\"classifier_pool\": \"bogus\"").getBytes(StandardCharsets.UTF_8));
      }
    }
    return s;
  }

  private static final Pattern VALUE = Pattern.compile("(\"[a-z_]+\"\\s*:\\s*)(\"[^\"]*\"|[-0-9.eE+]+|true|false|null|\\[[^\\]]*\\])");
  private static final String[] VALUES = {
    "-1", "0", "1", "3", "-64", "1000000000", "2147483648", "9223372036854775807", "1e308", "1.5", "-0.5", "NaN",
    "\"\"", "\"1,x\"", "\"bogus\"", "\"1,,2\"", "\"attention\"", "\"cosine\"", "\"linear\"", "\"v\"", "\"x0\"",
    "true", "false", "null", "[]", "[0]", "[1, 2]", "[-1]", "[1.5, \"a\"]", "{}", "\"32,16,8\"", "\"edm2\"", "\"adm_unet\""
  };

  /** Replaces one "key": value of a flat JSON object with an interesting value. */
  private static byte[] replaceValue(byte[] in, Random random) {
    String text = new String(in, StandardCharsets.UTF_8);
    Matcher m = VALUE.matcher(text);
    List<int[]> spans = new ArrayList<>();
    while (m.find()) {
      spans.add(new int[] {m.start(2), m.end(2)});
    }
    if (spans.isEmpty()) {
      return Mutator.mutate(in, 0, random);
    }
    int[] span = spans.get(random.nextInt(spans.size()));
    return (text.substring(0, span[0]) + VALUES[random.nextInt(VALUES.length)] + text.substring(span[1]))
        .getBytes(StandardCharsets.UTF_8);
  }

  /**
   * A checkpoint with a real network's keys and dtypes (from its header) but one element per
   * tensor: the header's complexity at a corpus-friendly size.
   */
  private static byte[] structureOf(String headerResource) {
    Object root = Json.parse(new String(resource(headerResource), StandardCharsets.UTF_8), headerResource);
    Map<String, SafetensorsWriter.Tensor> t = new LinkedHashMap<>();
    for (Map.Entry<?, ?> e : ((Map<?, ?>) root).entrySet()) {
      if (e.getKey().equals("__metadata__")) {
        continue;
      }
      Map<?, ?> entry = (Map<?, ?>) e.getValue();
      List<?> shape = (List<?>) entry.get("shape");
      long[] ones = new long[shape.size()];
      java.util.Arrays.fill(ones, 1);
      t.put((String) e.getKey(), SafetensorsWriter.Tensor.ofFloats(ones, 0.5f));
    }
    return SafetensorsWriter.toBytes(t, Map.of("format", "pt"));
  }

  static byte[] resource(String path) {
    try (InputStream in = FuzzCorpus.class.getResourceAsStream(path)) {
      if (in == null) {
        throw new IllegalStateException("missing test resource " + path);
      }
      return in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
