/** A plugin for the plugin-loading test. */
@NullMarked
package io.zeroscale.daemon.testplugin;

import org.jspecify.annotations.NullMarked;
