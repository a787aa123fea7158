/**
 * Response shapes of the Mender management API, as Mender's OpenAPI description
 * (contract/mender-management.json) describes them. Only the fields fleetplay reads are required; everything else passes through
 * (`z.looseObject`) so a newer server with extra fields is not an error.
 */
import { z } from 'zod';

/** Mender's error body: `{ error, request_id }`. */
export const ErrorBody = z.looseObject({ error: z.string(), request_id: z.string().optional() });

/** Every attribute value the inventory can hold (AttributeValueResponse). */
export const AttributeValue = z.union([z.boolean(), z.string(), z.number(), z.array(z.string()), z.array(z.number())]);
export type AttributeValue = z.infer<typeof AttributeValue>;

export const Scope = z.string();

export const AttributeResponse = z.looseObject({
  name: z.string(),
  scope: Scope,
  value: AttributeValue,
  description: z.string().optional(),
  timestamp: z.string().optional(),
});

/** One device of a v2 inventory search (DeviceInventoryResponse). */
export const DeviceInventory = z.looseObject({
  id: z.string(),
  updated_ts: z.string().optional(),
  attributes: z.array(AttributeResponse).optional(),
});
export type DeviceInventory = z.infer<typeof DeviceInventory>;
export const DeviceInventoryList = z.array(DeviceInventory);

/** Deployment status as the v2 list reports it (DeploymentV2.status). */
export const DeploymentStatus = z.enum(['scheduled', 'pending', 'inprogress', 'finished']);

export const Deployment = z.looseObject({
  id: z.string(),
  name: z.string(),
  artifact_name: z.string(),
  created: z.string(),
  finished: z.string().optional(),
  status: DeploymentStatus,
  device_count: z.number().int(),
  type: z.enum(['software', 'configuration']).optional(),
});
export type Deployment = z.infer<typeof Deployment>;
export const DeploymentList = z.array(Deployment);

/** Per-device status inside a deployment (DeviceStatus). */
export const DeviceDeploymentStatus = z.string();

/** A device inside a deployment (DeviceWithImage); the image is not needed by fleetplay. */
export const DeviceInDeployment = z.looseObject({
  id: z.string(),
  status: DeviceDeploymentStatus,
  device_type: z.string().optional(),
  created: z.string().optional(),
  finished: z.string().optional(),
});
export type DeviceInDeployment = z.infer<typeof DeviceInDeployment>;
export const DeviceInDeploymentList = z.array(DeviceInDeployment);

/** One entry of a device's deployment history (DeviceDeploymentV1). */
export const DeviceDeployment = z.looseObject({
  id: z.string().optional(),
  deployment: Deployment.partial().extend({ id: z.string() }),
  device: DeviceInDeployment,
});
export type DeviceDeployment = z.infer<typeof DeviceDeployment>;
export const DeviceDeploymentList = z.array(DeviceDeployment);

export const Statistics = z.looseObject({
  success: z.number().int(),
  pending: z.number().int(),
  downloading: z.number().int(),
  rebooting: z.number().int(),
  installing: z.number().int(),
  failure: z.number().int(),
  noartifact: z.number().int(),
  'already-installed': z.number().int(),
  aborted: z.number().int(),
  pause_before_installing: z.number().int(),
  pause_before_rebooting: z.number().int(),
  pause_before_committing: z.number().int(),
});
export type Statistics = z.infer<typeof Statistics>;
export const StatisticsList = z.array(z.looseObject({ id: z.string(), stats: Statistics }));
export type StatisticsList = z.infer<typeof StatisticsList>;

export const Artifact = z.looseObject({
  id: z.string(),
  name: z.string(),
  device_types_compatible: z.array(z.string()),
});
export type Artifact = z.infer<typeof Artifact>;
export const ArtifactList = z.array(Artifact);

/** Mender device configuration: a flat map of strings (ManagementAPIConfiguration). */
export const ConfigMap = z.record(z.string(), z.string());
export type ConfigMap = z.infer<typeof ConfigMap>;

export const DeviceConfiguration = z.looseObject({
  id: z.string().optional(),
  configured: ConfigMap.optional(),
  reported: ConfigMap.optional(),
  deployment_id: z.string().optional(),
  reported_ts: z.string().optional(),
  updated_ts: z.string().optional(),
});
export type DeviceConfiguration = z.infer<typeof DeviceConfiguration>;

export const NewConfigurationDeploymentResponse = z.looseObject({ deployment_id: z.string() });

/**
 * The login answer is the JWT itself, as text or as a JSON string: three base64url parts joined
 * by dots (the signature may be empty for an unsigned token). Anything else is not a token.
 */
export const LoginToken = z.string().regex(/^[\w-]+\.[\w-]+\.[\w-]*$/);
