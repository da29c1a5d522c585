package org.guidance4j.cli;

import java.util.List;
import org.guidance4j.core.DType;
import org.guidance4j.core.Device;
import org.guidance4j.diffusion.DiffusionModel;
import org.guidance4j.diffusion.schedule.EdmChurn;
import org.guidance4j.diffusion.schedule.EdmSchedule;
import org.guidance4j.diffusion.schedule.LogSnrSigmas;
import org.guidance4j.diffusion.schedule.SigmaSchedule;
import org.guidance4j.guidance.AdaptiveProjected;
import org.guidance4j.guidance.Autoguidance;
import org.guidance4j.guidance.ClassifierFree;
import org.guidance4j.guidance.ClassifierGuidance;
import org.guidance4j.nn.PerturbedAttention;
import org.guidance4j.nn.adm.AdmClassifier;
import org.guidance4j.guidance.Guidance;
import org.guidance4j.guidance.Interval;
import org.guidance4j.guidance.PerturbedAttentionGuidance;
import org.guidance4j.guidance.RescaledClassifierFree;
import org.guidance4j.guidance.Unguided;
import org.guidance4j.sampling.DiscreteSampler;
import org.guidance4j.sampling.DpmSolverSampler;
import org.guidance4j.sampling.EdmSampler;
import org.guidance4j.sampling.Sampler;

/** The flags `sample` and `compare` share, and how they become a sampler and a guidance. */
final class SamplingFlags {
  private SamplingFlags() {}

  static Options declare(Options o) {
    return o.option("model", "dir", "the model: a folder with config.json and one .safetensors file", null)
        .option("guide-model", "dir", "the weaker model guiding the main one (autoguidance)", null)
        .option("classifier", "dir", "the noise-aware classifier (classifier guidance)", null)
        .option("sampler", "name", "ddpm | ddim | heun | euler | dpmpp-2m | dpmpp-2m-sde (default: ddim for guided-diffusion models, heun for EDM2 models)", null)
        .option("steps", "N", "sampler steps: shorthand for --timestep-respacing ddimN (ddim) or N (ddpm); the step count of heun, euler (32) and dpmpp-2m(-sde) (25)", null)
        .option("timestep-respacing", "str", "guided-diffusion's respacing: \"250\", \"ddim25\", \"10,10,5\" (ddpm/ddim)", null)
        .option("clip-denoised", "bool", "clip the x0 prediction to [-1, 1] (ddpm/ddim)", "true")
        .option("eta", "x", "DDIM stochasticity (0: deterministic); dpmpp-2m-sde's eta (default 1 there)", "0")
        .option("s-noise", "x", "dpmpp-2m-sde: the scale of its added noise (k-diffusion's s_noise)", "1")
        .option("solver-type", "name", "dpmpp-2m-sde: midpoint | heun, its second-order correction (k-diffusion's solver_type)", "midpoint")
        .option("sigma-min", "x", "the lowest noise level of heun, euler and dpmpp-2m(-sde) (EDM's grid)", "0.002")
        .option("sigma-max", "x", "their highest noise level", "80")
        .option("rho", "x", "EDM step-spacing exponent", "7")
        .option("sigma-schedule", "name", "EDM noise levels: karras (rho-warped, EDM2's) | logsnr (uniform in Ho & Salimans' log-SNR time; ignores --rho)", "karras")
        .option("s-churn", "x", "EDM stochastic churn", "0")
        .option("interval", "lo,hi", "guide only for sigma in (lo, hi]; outside, the main model alone", null)
        .option("guidance-rescale", "phi", "cfg: diffusers' guidance_rescale (Lin et al. 2023): the guided prediction mixed with its copy rescaled to the conditional one's std, phi in [0, 1] (paper: 0.7)", "0")
        .option("apg-eta", "x", "apg: eta, the weight of the update's part parallel to the conditional prediction, in [0, 1]", "0")
        .option("apg-norm-threshold", "r", "apg: r, the largest norm of the update per sample (diffusers' adaptive_projected_guidance_rescale; 0: off)", "0")
        .option("apg-momentum", "beta", "apg: beta, the momentum of the update across steps, in (-1, 1) (diffusers' adaptive_projected_guidance_momentum; 0: none)", "-0.5")
        .option("pag-scale", "s", "cfg: add perturbed-attention guidance with this scale (diffusers' pag_scale); with --guidance pag use --scale", null)
        .option("pag-layers", "list", "pag: the self-attention layers made identity, by checkpoint key prefix, comma-separated (diffusers' pag_applied_layers; mid: the middle block)", "mid")
        .option("device", "name", "cpu | cuda | cuda:N | auto (CUDA when present)", "auto")
        .option("dtype", "name", "f32 | f16 | bf16 (f16/bf16 on CUDA only)", "f32")
        .option("batch", "N", "samples per batch (bounds device memory)", "16");
  }

  /**
   * The range checks of the numeric flags `sample` and `compare` share, made before any model
   * loads: a bad value is a usage error (exit code 2) naming the flag, the rule and the value.
   */
  static void validate(Options o) {
    batch(o);
    if (o.has("steps")) {
      atLeastOne(o, "steps");
    }
    checkNumber(o, "eta", o.number("eta") >= 0, ">= 0");
    double sigmaMin = o.number("sigma-min");
    checkNumber(o, "sigma-min", sigmaMin > 0, "> 0");
    checkNumber(o, "sigma-max", o.number("sigma-max") >= sigmaMin, ">= --sigma-min (" + sigmaMin + ")");
    checkNumber(o, "rho", o.number("rho") > 0, "> 0");
    checkNumber(o, "s-churn", o.number("s-churn") >= 0, ">= 0");
    o.bool("clip-denoised");
    if (o.has("interval")) {
      interval(o);
    }
  }

  /** --batch, >= 1. */
  static int batch(Options o) {
    return atLeastOne(o, "batch");
  }

  /** An integer flag that must be >= 1. */
  static int atLeastOne(Options o, String name) {
    int v = o.integer(name);
    if (v < 1) {
      throw new UsageException("--" + name + " must be >= 1, got " + v);
    }
    return v;
  }

  private static void checkNumber(Options o, String name, boolean ok, String rule) {
    if (!ok) {
      throw new UsageException("--" + name + " must be " + rule + ", got " + o.string(name));
    }
  }

  /** A guidance weight from {@code where} (a flag, or a --rows entry): finite and >= 0, for every method. */
  static double checkScale(String where, double scale) {
    if (!(scale >= 0) || Double.isInfinite(scale)) {
      throw new UsageException(where + ": the guidance scale must be finite and >= 0, got " + scale);
    }
    return scale;
  }

  static Device device(Options o) {
    String d = o.string("device");
    try {
      return d.equals("auto") ? Device.best() : Device.parse(d);
    } catch (RuntimeException e) {
      throw new UsageException("--device: " + e.getMessage());
    }
  }

  static DType dtype(Options o, Device device) {
    DType t =
        switch (o.string("dtype").toLowerCase()) {
          case "f32", "float32" -> DType.F32;
          case "f16", "float16" -> DType.F16;
          case "bf16", "bfloat16" -> DType.BF16;
          default -> throw new UsageException("--dtype must be f32, f16 or bf16, got '" + o.string("dtype") + "'");
        };
    if (t != DType.F32 && device.isCpu()) {
      throw new UsageException("--dtype " + o.string("dtype") + " needs a CUDA device; the CPU computes in f32");
    }
    return t;
  }

  /** The sampler the flags ask for; without --sampler, DDIM for discrete models and Heun for continuous ones. */
  static Sampler sampler(Options o, DiffusionModel model) {
    String name = o.has("sampler") ? o.string("sampler") : model.discrete() ? "ddim" : "heun";
    if (!model.discrete() && (name.equals("ddpm") || name.equals("ddim"))) {
      throw new UsageException(
          "--sampler " + name + " needs a model trained on a discrete schedule; this one is continuous-time (EDM2):"
              + " use heun, euler, dpmpp-2m or dpmpp-2m-sde");
    }
    Sampler sampler;
    try {
      sampler = sampler(o, name);
    } catch (IllegalArgumentException e) {
      // what the library refuses of the flag values (validate() covers the ranges it knows)
      throw new UsageException("--sampler " + name + ": " + e.getMessage());
    }
    try {
      sampler.steps(model); // parses the respacing against the model's schedule now, not mid-run
    } catch (IllegalArgumentException e) {
      throw new UsageException((o.has("timestep-respacing") ? "--timestep-respacing" : "--steps") + ": " + e.getMessage());
    }
    return sampler;
  }

  /** The sampler the flags ask for, DDIM without --sampler (for commands that run discrete models). */
  static Sampler sampler(Options o) {
    return sampler(o, o.has("sampler") ? o.string("sampler") : "ddim");
  }

  private static Sampler sampler(Options o, String name) {
    Integer steps = o.has("steps") ? o.integer("steps") : null;
    if (steps != null && steps < 1) {
      throw new UsageException("--steps must be >= 1, got " + steps);
    }
    boolean clip = o.bool("clip-denoised");
    return switch (name) {
      case "ddpm" -> DiscreteSampler.ddpm(respacing(o, steps, "", 250), clip);
      case "ddim" -> DiscreteSampler.ddim(respacing(o, steps, "ddim", 50), clip, o.number("eta"));
      case "heun", "euler" -> {
        if (o.has("timestep-respacing")) {
          throw new UsageException("--timestep-respacing applies to ddpm/ddim; use --steps with " + name);
        }
        SigmaSchedule s = sigmaSchedule(o, steps == null ? 32 : steps);
        yield new EdmSampler(name.equals("heun"), s, new EdmChurn(o.number("s-churn"), 0, Double.POSITIVE_INFINITY, 1));
      }
      case "dpmpp-2m", "dpmpp-2m-sde" -> {
        if (o.has("timestep-respacing")) {
          throw new UsageException("--timestep-respacing applies to ddpm/ddim; use --steps with " + name);
        }
        boolean sde = name.equals("dpmpp-2m-sde");
        for (String flag : List.of("eta", "s-noise", "solver-type")) {
          if (!sde && o.has(flag)) {
            throw new UsageException("--" + flag + " applies to dpmpp-2m-sde (and --eta to ddim), not " + name);
          }
        }
        SigmaSchedule s = sigmaSchedule(o, steps == null ? 25 : steps);
        if (!sde) {
          yield DpmSolverSampler.ode(s);
        }
        double eta = o.has("eta") ? o.number("eta") : 1.0;
        double sNoise = o.number("s-noise");
        if (eta < 0 || sNoise < 0) {
          throw new UsageException("--eta and --s-noise must be >= 0, got " + eta + " and " + sNoise);
        }
        DpmSolverSampler.SolverType type =
            switch (o.string("solver-type")) {
              case "midpoint" -> DpmSolverSampler.SolverType.MIDPOINT;
              case "heun" -> DpmSolverSampler.SolverType.HEUN;
              default -> throw new UsageException("--solver-type must be midpoint or heun, got '" + o.string("solver-type") + "'");
            };
        yield DpmSolverSampler.sde(s, eta, sNoise, type);
      }
      default -> throw new UsageException(
          "--sampler must be ddpm, ddim, heun, euler, dpmpp-2m or dpmpp-2m-sde, got '" + name + "'");
    };
  }

  /** The noise levels of the continuous-time samplers (heun, euler, dpmpp-2m, dpmpp-2m-sde). */
  static SigmaSchedule sigmaSchedule(Options o, int n) {
    try {
      return switch (o.string("sigma-schedule")) {
        case "karras" -> new EdmSchedule(o.number("sigma-min"), o.number("sigma-max"), o.number("rho"), n);
        case "logsnr" -> LogSnrSigmas.hoSalimans(o.number("sigma-min"), o.number("sigma-max"), n);
        default -> throw new UsageException(
            "--sigma-schedule must be karras or logsnr, got '" + o.string("sigma-schedule") + "'");
      };
    } catch (IllegalArgumentException e) {
      throw new UsageException("--sigma-min/--sigma-max/--rho: " + e.getMessage());
    }
  }

  private static String respacing(Options o, Integer steps, String prefix, int defaultSteps) {
    if (o.has("timestep-respacing")) {
      if (steps != null) {
        throw new UsageException("give --steps or --timestep-respacing, not both");
      }
      return o.string("timestep-respacing");
    }
    return prefix + (steps == null ? defaultSteps : steps);
  }

  /** Default scale of each method: the weight of the guided direction (gamma for CFG, w for autoguidance). */
  static double defaultScale(String method) {
    return switch (method) {
      case "cfg", "apg", "pag" -> 3.0;
      case "auto" -> 2.0;
      default -> 1.0;
    };
  }

  /**
   * @param guide the guiding model for "auto" (may be null otherwise)
   */
  static Guidance guidance(
      Options o, String method, double scale, DiffusionModel model, DiffusionModel guide, AdmClassifier classifier) {
    Guidance inner =
        switch (method) {
          case "none" -> new Unguided(model);
          case "cfg" -> {
            requireNullClass(model, method);
            double phi = rescale(o);
            if (o.has("pag-scale")) {
              if (phi != 0) {
                throw new UsageException("--guidance-rescale and --pag-scale do not combine: give one of them");
              }
              yield pag(o, model, o.number("pag-scale"), scale);
            }
            yield phi != 0 ? new RescaledClassifierFree(model, scale, phi) : new ClassifierFree(model, scale);
          }
          case "apg" -> {
            requireNullClass(model, method);
            yield apg(o, model, scale);
          }
          case "pag" -> pag(o, model, scale, 1.0);
          case "auto" -> {
            if (guide == null) {
              throw new UsageException("--guidance auto needs --guide-model (a weaker model of the same task)");
            }
            yield new Autoguidance(model, guide, scale);
          }
          case "classifier" -> {
            if (classifier == null) {
              throw new UsageException("--guidance classifier needs --classifier (a noise-aware classifier)");
            }
            if (!model.discrete()) {
              throw new UsageException(
                  "--guidance classifier needs a discrete-time model (the classifier takes its timesteps);"
                      + " this model is continuous-time");
            }
            if (classifier.config().outChannels() != model.numClasses()) {
              throw new UsageException(
                  "--classifier predicts " + classifier.config().outChannels() + " classes but the model has "
                      + model.numClasses());
            }
            yield new ClassifierGuidance(new Unguided(model), classifier::inputGradient, scale);
          }
          default -> throw new UsageException(
              "--guidance must be none, cfg, apg, pag, classifier or auto, got '" + method + "'");
        };
    return method.equals("none") ? inner : interval(o, inner, model);
  }

  /**
   * The per-method flags given with another method are a mistake, not something to ignore (for
   * `sample`, whose one --guidance they must fit).
   */
  static void checkMethodFlags(Options o, String method) {
    if (o.has("guidance-rescale") && !method.equals("cfg")) {
      throw new UsageException("--guidance-rescale applies to --guidance cfg, not " + method);
    }
    for (String flag : List.of("apg-eta", "apg-norm-threshold", "apg-momentum")) {
      if (o.has(flag) && !method.equals("apg")) {
        throw new UsageException("--" + flag + " applies to --guidance apg, not " + method);
      }
    }
    if (o.has("pag-scale") && !method.equals("cfg")) {
      throw new UsageException(
          "--pag-scale adds perturbed-attention guidance to --guidance cfg; for PAG alone use --guidance pag --scale S");
    }
    if (o.has("pag-layers") && !method.equals("pag") && !o.has("pag-scale")) {
      throw new UsageException("--pag-layers applies to --guidance pag (or cfg with --pag-scale)");
    }
  }

  private static void requireNullClass(DiffusionModel model, String method) {
    if (model.nullClass() < 0 && !model.discrete()) {
      throw new UsageException(
          "--guidance " + method + " needs a null class, which EDM2 models do not have: EDM2 runs classifier-free"
              + " guidance with a separate unconditional network, --guidance auto --guide-model <unconditional model>");
    }
  }

  /** --guidance-rescale, checked. */
  static double rescale(Options o) {
    double phi = o.number("guidance-rescale");
    if (phi < 0 || phi > 1) {
      throw new UsageException("--guidance-rescale must be in [0, 1], got " + o.string("guidance-rescale"));
    }
    return phi;
  }

  static Guidance apg(Options o, DiffusionModel model, double scale) {
    double eta = o.number("apg-eta");
    double r = o.number("apg-norm-threshold");
    double beta = o.number("apg-momentum");
    if (eta < 0 || eta > 1) {
      throw new UsageException("--apg-eta must be in [0, 1], got " + o.string("apg-eta"));
    }
    if (r < 0) {
      throw new UsageException("--apg-norm-threshold must be >= 0 (0: off), got " + o.string("apg-norm-threshold"));
    }
    if (!(beta > -1 && beta < 1)) {
      throw new UsageException("--apg-momentum must be in (-1, 1), got " + o.string("apg-momentum"));
    }
    return new AdaptiveProjected(model, scale, eta, r, beta);
  }

  /** PAG with pag_scale {@code s} on --pag-layers, combined with CFG of scale {@code gamma} (1: none). */
  static Guidance pag(Options o, DiffusionModel model, double s, double gamma) {
    if (s < 0) {
      throw new UsageException("--pag-scale must be >= 0, got " + s);
    }
    if (model.attentionLayers().isEmpty()) {
      throw new UsageException("perturbed-attention guidance needs a model with self-attention layers; this one has none");
    }
    List<String> layers = List.of(o.string("pag-layers").split(",")).stream().map(String::strip).toList();
    try {
      new PerturbedAttention(layers, 0, 1).resolve(model.attentionLayers(), model.middleAttentionLayers());
    } catch (org.guidance4j.core.InvalidArgumentException e) {
      throw new UsageException("--pag-layers: " + e.getMessage());
    }
    return new PerturbedAttentionGuidance(model, s, layers, gamma);
  }

  /** {@code inner} limited to --interval when given (the main model alone outside it). */
  static Guidance interval(Options o, Guidance inner, DiffusionModel model) {
    if (!o.has("interval")) {
      return inner;
    }
    double[] lohi = interval(o);
    return new Interval(inner, new Unguided(model), lohi[0], lohi[1]);
  }

  /** --interval lo,hi with 0 <= lo < hi. */
  static double[] interval(Options o) {
    List<Double> lohi = o.numbers("interval");
    if (lohi.size() != 2) {
      throw new UsageException("--interval takes two numbers lo,hi, got '" + o.string("interval") + "'");
    }
    double lo = lohi.get(0);
    double hi = lohi.get(1);
    if (!(lo >= 0) || !(hi > lo) || Double.isInfinite(hi)) {
      throw new UsageException("--interval needs 0 <= lo < hi < infinity, got '" + o.string("interval") + "'");
    }
    return new double[] {lo, hi};
  }
}
