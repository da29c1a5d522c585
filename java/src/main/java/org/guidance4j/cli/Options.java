package org.guidance4j.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A command's flags: declared with their help text, then parsed from {@code --name value} or
 * {@code --name=value} pairs (booleans also as a bare {@code --name}). Unknown flags, missing
 * values and malformed numbers are {@link UsageException}s naming the flag.
 */
final class Options {
  private record Spec(String name, String valueName, String help, String defaultValue, boolean bool) {}

  private final String command;
  private final String summary;
  private final Map<String, Spec> specs = new LinkedHashMap<>();
  private final Map<String, String> values = new LinkedHashMap<>();

  Options(String command, String summary) {
    this.command = command;
    this.summary = summary;
    flag("help", "print this help and exit");
    flag("verbose", "print stack traces of errors");
  }

  Options option(String name, String valueName, String help, String defaultValue) {
    specs.put(name, new Spec(name, valueName, help, defaultValue, false));
    return this;
  }

  Options flag(String name, String help) {
    specs.put(name, new Spec(name, null, help, "false", true));
    return this;
  }

  Options parse(String[] args) {
    for (int i = 0; i < args.length; i++) {
      String a = args[i];
      if (!a.startsWith("--")) {
        throw new UsageException(command + ": unexpected argument '" + a + "' (flags start with --; see --help)");
      }
      String name = a.substring(2);
      String value = null;
      int eq = name.indexOf('=');
      if (eq >= 0) {
        value = name.substring(eq + 1);
        name = name.substring(0, eq);
      }
      Spec s = specs.get(name);
      if (s == null) {
        throw new UsageException(command + ": unknown flag --" + name + " (see " + command + " --help)");
      }
      if (value == null) {
        if (s.bool() && (i + 1 >= args.length || args[i + 1].startsWith("--") || !isBoolean(args[i + 1]))) {
          value = "true";
        } else if (i + 1 < args.length) {
          value = args[++i];
        } else {
          throw new UsageException(command + ": flag --" + name + " needs a value <" + s.valueName() + ">");
        }
      }
      values.put(name, value);
    }
    return this;
  }

  private static boolean isBoolean(String s) {
    return s.equals("true") || s.equals("false");
  }

  boolean has(String name) {
    return values.containsKey(name);
  }

  String string(String name) {
    String v = values.get(name);
    return v != null ? v : specs.get(name).defaultValue();
  }

  String required(String name) {
    String v = string(name);
    if (v == null || v.isEmpty()) {
      throw new UsageException(command + ": --" + name + " is required (see " + command + " --help)");
    }
    return v;
  }

  Path path(String name) {
    String v = string(name);
    return v == null ? null : Path.of(v);
  }

  boolean bool(String name) {
    String v = string(name);
    if (!isBoolean(v)) {
      throw new UsageException(command + ": --" + name + " must be true or false, got '" + v + "'");
    }
    return Boolean.parseBoolean(v);
  }

  int integer(String name) {
    String v = string(name);
    try {
      return Integer.parseInt(v);
    } catch (NumberFormatException e) {
      throw new UsageException(command + ": --" + name + " must be an integer, got '" + v + "'");
    }
  }

  long longValue(String name) {
    String v = string(name);
    try {
      return Long.parseLong(v);
    } catch (NumberFormatException e) {
      throw new UsageException(command + ": --" + name + " must be an integer, got '" + v + "'");
    }
  }

  double number(String name) {
    String v = string(name);
    try {
      double d = Double.parseDouble(v);
      if (!Double.isFinite(d)) {
        throw new NumberFormatException();
      }
      return d;
    } catch (NumberFormatException | NullPointerException e) {
      throw new UsageException(command + ": --" + name + " must be a finite number, got '" + v + "'");
    }
  }

  /** Comma-separated numbers, e.g. --interval 0.28,5.42. */
  List<Double> numbers(String name) {
    List<Double> out = new ArrayList<>();
    for (String p : string(name).split(",")) {
      try {
        out.add(Double.parseDouble(p.strip()));
      } catch (NumberFormatException e) {
        throw new UsageException(command + ": --" + name + " must be comma-separated numbers, got '" + string(name) + "'");
      }
    }
    return out;
  }

  String help() {
    StringBuilder b = new StringBuilder();
    b.append("usage: guidance4j ").append(command).append(" [options]\n\n").append(summary).append("\n\noptions:\n");
    for (Spec s : specs.values()) {
      String left = "  --" + s.name() + (s.bool() ? "" : " <" + s.valueName() + ">");
      b.append(String.format("%-30s %s", left, s.help()));
      if (!s.bool() && s.defaultValue() != null && !s.defaultValue().isEmpty()) {
        b.append(" (default: ").append(s.defaultValue()).append(')');
      }
      b.append('\n');
    }
    return b.toString();
  }
}
