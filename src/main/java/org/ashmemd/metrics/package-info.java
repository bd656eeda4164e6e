/**
 * The daemon's metrics in the Prometheus exposition format, over HTTP: region, broker, purge,
 * pressure and request counts read through {@link org.ashmemd.metrics.MetricsSource} at scrape
 * time; nothing is counted here. No daemon internals: the daemon adapts its state to the
 * source interface.
 */
package org.ashmemd.metrics;
