/** The small fleet the mender_* playbook tests run against. */
export const A = '6a000000-0000-4000-8000-00000000000a';
export const B = '6a000000-0000-4000-8000-00000000000b';
export const C = '6a000000-0000-4000-8000-00000000000c';
export const GHOST = '6a000000-0000-4000-8000-0000000000ff';

/** A and C run os-1.0, B already runs os-1.1. */
export const SPEC = {
  artifacts: [
    { name: 'os-1.0', device_types_compatible: ['raspberrypi4', 'imx8mm'] },
    { name: 'os-1.1', device_types_compatible: ['raspberrypi4', 'imx8mm'] },
  ],
  devices: [
    { id: A, device_type: 'raspberrypi4', artifact_name: 'os-1.0' },
    { id: B, device_type: 'raspberrypi4', artifact_name: 'os-1.1' },
    { id: C, device_type: 'imx8mm', artifact_name: 'os-1.0' },
  ],
};
