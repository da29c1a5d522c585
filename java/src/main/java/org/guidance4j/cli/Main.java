package org.guidance4j.cli;

/** The launcher's entry point (./guidance4j and the jar's Main-Class): the exit code of {@link Cli}. */
public final class Main {
  private Main() {}

  public static void main(String[] args) {
    int status = Cli.run(args, System.err);
    System.out.flush();
    System.exit(status);
  }
}
