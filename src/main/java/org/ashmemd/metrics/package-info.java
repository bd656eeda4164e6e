/**
 * The daemon's metrics in the Prometheus exposition format, over HTTP: region, broker, purge
 * and pressure state read through {@link org.ashmemd.metrics.MetricsSource} at scrape time, and
 * request latencies and errors recorded as requests are answered. No daemon internals: the
 * daemon adapts its state to the source interface.
 */
package org.ashmemd.metrics;
