"""Capture readers: firmware e820 maps from boot logs, sysfs, /proc/iomem and YAML/JSON lists."""
