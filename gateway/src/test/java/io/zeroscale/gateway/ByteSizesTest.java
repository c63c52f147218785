package io.zeroscale.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class ByteSizesTest {

    @Test
    void parsesBinaryAndDecimalUnits() {
        assertThat(ByteSizes.parse("8192")).isEqualTo(8192);
        assertThat(ByteSizes.parse("8KiB")).isEqualTo(8192);
        assertThat(ByteSizes.parse("8 kib")).isEqualTo(8192);
        assertThat(ByteSizes.parse("8KB")).isEqualTo(8000);
        assertThat(ByteSizes.parse("10MiB")).isEqualTo(10L * 1024 * 1024);
        assertThat(ByteSizes.parse("2GB")).isEqualTo(2_000_000_000L);
        assertThat(ByteSizes.parse("12B")).isEqualTo(12);
    }

    @Test
    void rejectsWhatIsNotASize() {
        assertThatThrownBy(() -> ByteSizes.parse("-1")).hasMessageContaining("is not a size");
        assertThatThrownBy(() -> ByteSizes.parse("1.5MiB")).hasMessageContaining("is not a size");
        assertThatThrownBy(() -> ByteSizes.parse("99999999999GiB")).hasMessageContaining("too large");
    }

    @Test
    void formatsTheShortestExactSpelling() {
        assertThat(ByteSizes.format(8192)).isEqualTo("8KiB");
        assertThat(ByteSizes.format(10L * 1024 * 1024)).isEqualTo("10MiB");
        assertThat(ByteSizes.format(1000)).isEqualTo("1000B");
        assertThat(ByteSizes.format(0)).isEqualTo("0B");
    }
}
