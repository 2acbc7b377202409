import { getContainerRuntimeClient } from 'testcontainers';

export type DockerStatus = { ok: true } | { ok: false; reason: string };

/** Whether testcontainers finds a container runtime (Docker, Podman, ...) to start servers in. */
export async function dockerAvailable(): Promise<DockerStatus> {
  try {
    await getContainerRuntimeClient();
    return { ok: true };
  } catch (error) {
    return { ok: false, reason: error instanceof Error ? error.message : String(error) };
  }
}

/**
 * For a suite that needs containers: null when docker is there; otherwise the reason to skip,
 * printed so that a skip is never silent. With REQUIRE_DOCKER=1 (CI) a missing runtime throws,
 * which fails the test file instead of skipping it.
 */
export async function dockerSkipReason(suite: string): Promise<string | null> {
  const status = await dockerAvailable();
  if (status.ok) return null;
  if (process.env.REQUIRE_DOCKER === '1') {
    throw new Error(`${suite}: REQUIRE_DOCKER=1 but no container runtime: ${status.reason}`);
  }
  console.warn(`[skip] ${suite}: no container runtime (${status.reason}); set REQUIRE_DOCKER=1 to fail instead`);
  return status.reason;
}
