#!/bin/bash
# First boot of a GPU VM (${environment}): format and mount the model-cache volume; Ansible does the rest.
set -euo pipefail
# On Nitro instances /dev/sdf appears as an NVMe device; it is the one disk without a partition table.
device=$(lsblk --nodeps --noheadings --output NAME,TYPE | awk '$2 == "disk" {print "/dev/" $1}' | while read -r disk; do
  if ! blkid "$disk" >/dev/null 2>&1 && [ -z "$(lsblk --noheadings --output NAME "$disk" | tail -n +2)" ]; then
    echo "$disk"
  fi
done | head -n 1)
if [ -n "$device" ]; then
  mkfs.ext4 -L ablage-models "$device"
fi
mkdir -p ${models_dir}
grep -q 'LABEL=ablage-models' /etc/fstab || echo 'LABEL=ablage-models ${models_dir} ext4 defaults,nofail 0 2' >> /etc/fstab
mount -a
