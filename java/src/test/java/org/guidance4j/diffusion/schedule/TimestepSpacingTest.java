package org.guidance4j.diffusion.schedule;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class TimestepSpacingTest {

  @Test
  void matchesReferenceForEverySpec() {
    int cases = 0;
    for (Object o : Fixtures.list(Fixtures.load("respacing.json"))) {
      Map<String, Object> c = Fixtures.map(o);
      int[] kept =
          TimestepSpacing.spaceTimesteps(Fixtures.integer(c, "T"), Fixtures.str(c, "spec"));
      assertArrayEquals(
          Fixtures.ints(c.get("use_timesteps")), kept, c.get("spec") + " on T=" + c.get("T"));
      cases++;
    }
    assertTrue(cases >= 20, "only " + cases + " cases");
  }

  @Test
  void ddimUsesTheSmallestStrideGivingExactlyNSteps() {
    assertArrayEquals(
        IntStream.range(0, 25).map(i -> 40 * i).toArray(),
        TimestepSpacing.spaceTimesteps(1000, "ddim25"));
    // ceil(1000/143) = 7, so "ddim7" on T = 1000 is possible.
    assertArrayEquals(
        IntStream.range(0, 7).map(i -> 143 * i).toArray(),
        TimestepSpacing.spaceTimesteps(1000, "ddim7"));
  }

  @Test
  void sectionsRoundHalfToEvenLikePython() {
    // T = 50, "3,4": sections of 25; the second has stride 24/3 = 8 from 25: 25, 33, 41, 49.
    assertArrayEquals(
        new int[] {0, 12, 24, 25, 33, 41, 49}, TimestepSpacing.spaceTimesteps(50, "3,4"));
    // stride 2.5: positions 0, 2.5, 5 -> round(2.5) = 2 in Python, not 3.
    assertArrayEquals(new int[] {0, 2, 5}, TimestepSpacing.spaceTimesteps(6, "3"));
  }

  @Test
  void explicitCountsEqualTheString() {
    assertArrayEquals(
        TimestepSpacing.spaceTimesteps(1000, "10,10,5"),
        TimestepSpacing.spaceTimesteps(1000, new int[] {10, 10, 5}));
    assertEquals(1, TimestepSpacing.spaceTimesteps(1000, " 1 ").length);
  }

  @Test
  void impossibleDdimCountNamesTheCount() {
    var e =
        assertThrows(
            IllegalArgumentException.class, () -> TimestepSpacing.spaceTimesteps(10, "ddim7"));
    assertTrue(
        e.getMessage().startsWith("cannot create exactly 7 steps with an integer stride"),
        e.getMessage());
    assertTrue(e.getMessage().contains("from 10 diffusion steps"), e.getMessage());
    var big =
        assertThrows(
            IllegalArgumentException.class, () -> TimestepSpacing.spaceTimesteps(1000, "ddim600"));
    assertTrue(big.getMessage().contains("exactly 600 steps"), big.getMessage());
    // range(1, T) never reaches stride T, so one step is never possible.
    assertThrows(
        IllegalArgumentException.class, () -> TimestepSpacing.spaceTimesteps(1000, "ddim1"));
  }

  @Test
  void countLargerThanItsSectionNamesBoth() {
    var e =
        assertThrows(
            IllegalArgumentException.class, () -> TimestepSpacing.spaceTimesteps(20, "10,10,5"));
    assertTrue(
        e.getMessage().startsWith("cannot divide section of 7 steps into 10"), e.getMessage());
    var whole =
        assertThrows(
            IllegalArgumentException.class, () -> TimestepSpacing.spaceTimesteps(100, "300"));
    assertTrue(whole.getMessage().contains("section of 100 steps into 300"), whole.getMessage());
  }

  @Test
  void malformedSpecsNameTheBadText() {
    var e =
        assertThrows(
            IllegalArgumentException.class, () -> TimestepSpacing.spaceTimesteps(1000, "ddimx"));
    assertTrue(e.getMessage().contains("\"x\""), e.getMessage());
    var trailing =
        assertThrows(
            IllegalArgumentException.class, () -> TimestepSpacing.spaceTimesteps(1000, "10,"));
    assertTrue(trailing.getMessage().contains("\"10,\""), trailing.getMessage());
    var negative =
        assertThrows(
            IllegalArgumentException.class, () -> TimestepSpacing.spaceTimesteps(1000, "10,-2"));
    assertTrue(negative.getMessage().contains("-2"), negative.getMessage());
    assertThrows(IllegalArgumentException.class, () -> TimestepSpacing.spaceTimesteps(1000, "0"));
  }

  @Test
  void rejectsNonPositiveTimestepCounts() {
    var e =
        assertThrows(IllegalArgumentException.class, () -> TimestepSpacing.spaceTimesteps(0, "10"));
    assertTrue(e.getMessage().contains("got 0"), e.getMessage());
  }
}
