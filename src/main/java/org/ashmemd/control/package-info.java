/**
 * The admin protocol between ashmemd and ashmemctl: versioned JSON records, one request line and
 * one response line per connection on the admin socket. No daemon internals, no picocli.
 */
package org.ashmemd.control;
