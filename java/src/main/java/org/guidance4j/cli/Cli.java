package org.guidance4j.cli;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.AccessDeniedException;
import java.nio.file.NoSuchFileException;
import java.util.Arrays;
import java.util.concurrent.CancellationException;
import org.guidance4j.core.OutOfDeviceMemoryException;

/**
 * The command line: dispatch, and the one place errors become one clear line and an exit code
 * (1: the command failed, 2: the command line is wrong), with a stack trace only under --verbose.
 */
public final class Cli {
  private Cli() {}

  interface Command {
    int run(String[] args) throws Exception;
  }

  static final String USAGE =
      """
      usage: guidance4j <command> [options]   (every command takes --help)

      commands:
        sample        draw samples with guidance (none, cfg, auto) into a PNG grid, PNG files or .npy
        compare       one PNG with a row per guidance method and scale, the same seeds in every row
        forward       run a network once on .npy inputs (--bench N times it)
        info          what a checkpoint holds and the architecture its config implies
        sweep         each guidance method over its weights: classifier accuracy and Fréchet distance, table + plot
        info-device   the native library, CPU threads and CUDA devices (or why there are none)
        toy           the autoguidance paper's 2-D toy: methods side by side with exact metrics (toy.png, toy.md)
      """;

  public static int run(String[] args, PrintStream err) {
    if (args.length == 0 || Arrays.asList("help", "-h", "--help").contains(args[0])) {
      System.out.print(USAGE);
      return args.length == 0 ? 2 : 0;
    }
    boolean verbose = Arrays.asList(args).contains("--verbose");
    String[] rest = Arrays.copyOfRange(args, 1, args.length);
    Command command =
        switch (args[0]) {
          case "sample" -> SampleCommand::run;
          case "compare" -> CompareCommand::run;
          case "forward" -> ForwardCommand::run;
          case "info" -> InfoCommand::run;
          case "sweep" -> SweepCommand::run;
          case "info-device" -> a -> DeviceInfo.print();
          case "toy" -> ToyCommand::run;
          default -> null;
        };
    if (command == null) {
      err.println("error: unknown command '" + args[0] + "'");
      err.print(USAGE);
      return 2;
    }
    try {
      return command.run(rest);
    } catch (UsageException e) {
      err.println("error: " + e.getMessage());
      return 2;
    } catch (Exception | OutOfMemoryError e) {
      err.println("error: " + message(e));
      if (verbose) {
        e.printStackTrace(err);
      }
      return 1;
    }
  }

  static String message(Throwable e) {
    if (e instanceof NoSuchFileException n) {
      return "no such file: " + n.getFile();
    }
    if (e instanceof AccessDeniedException a && a.getReason() == null) {
      return a.getFile() + ": permission denied"; // its own message is the bare path
    }
    if (e instanceof OutOfMemoryError) {
      // outputs stream, so the heap need not grow with --n: only a PNG grid is held whole
      return "out of Java heap memory (" + e.getMessage() + "): raise -Xmx through G4J_JAVA_OPTS";
    }
    if (e instanceof OutOfDeviceMemoryException) {
      // sampling adds its --batch advice where a batch was running (CommandFailure)
      return e.getMessage() + " (the model and one batch must fit in the device's memory)";
    }
    if (e instanceof CancellationException) {
      return "cancelled: " + e.getMessage();
    }
    if (e instanceof IOException && e.getMessage() != null) {
      return e.getMessage();
    }
    String m = e.getMessage();
    return m == null ? e.getClass().getSimpleName() : m;
  }
}
